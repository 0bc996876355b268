"""The `casetag` command: thin typer commands over plain functions in the packages."""
from __future__ import annotations

import typer

from labels.taxonomy_cli import taxonomy_cli
from inference.segment_cli import segment_cli
from training.crossval import crossval_cli
from training.evaluate import evaluate_cli
from training.train import train_cli
from inference.prelabel_cli import prelabel_cli
from training.benchmark_cli import benchmark_cli
from training.export_cli import card_cli, export_cli
from labels.review_cli import review_app
from labels.agreement_cli import agreement_cli
from labels.reconcile_cli import reconcile_cli
from training.compare import compare_cli
from training.promote import promote_cli
from training.label_issues import label_issues_cli
from inference.report_cli import report_cli

app = typer.Typer(
    help="casetag: pre-label statutory case reviews with risk-indicator tags, review and retrain.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("taxonomy")(taxonomy_cli)
app.command("segment")(segment_cli)
app.command("prelabel")(prelabel_cli)
app.command("export")(export_cli)
app.command("card")(card_cli)
app.command("benchmark")(benchmark_cli)
app.command("train")(train_cli)
app.command("evaluate")(evaluate_cli)
app.command("crossval")(crossval_cli)
app.add_typer(review_app, name="review")
app.command("agreement")(agreement_cli)
app.command("reconcile")(reconcile_cli)
app.command("compare")(compare_cli)
app.command("promote")(promote_cli)
app.command("label-issues")(label_issues_cli)
app.command("report")(report_cli)

if __name__ == "__main__":
    app()
