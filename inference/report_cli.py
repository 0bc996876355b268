"""`casetag report`: one review as a self-contained HTML report (and its template sheet as CSV)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from inference.onnx_model import DEFAULT_MODEL
from inference.report import ReportError, load_review, render_report, template_sheet, write_sheet_csv
from labels.taxonomy import load_taxonomy


def report_cli(
    source: Path = typer.Argument(..., help="A review document (.txt, .docx, .pdf), suggestions.jsonl or reconciled.jsonl."),
    out: Path = typer.Option(..., "--out", "-o", help="The HTML report to write."),
    csv_out: Optional[Path] = typer.Option(None, "--csv", help="Also write the template sheet as CSV, one row per tag."),
    labels: Optional[Path] = typer.Option(None, "--labels", help="Accepted or reconciled labels (JSON Lines) to show over the suggestions."),
    doc: Optional[str] = typer.Option(None, "--doc", help="The document to report on when the file holds several."),
    model: Path = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Exported model folder (for a review document)."),
) -> None:
    """Report on one review: template sheet, timeline of risk indicators, tagged paragraphs."""
    taxonomy = load_taxonomy()
    try:
        review = load_review(source, taxonomy=taxonomy, doc=doc, labels=labels, model=model)
        rows = template_sheet(review, taxonomy)
        out.write_text(render_report(review, taxonomy), encoding="utf-8")
        if csv_out:
            write_sheet_csv(rows, csv_out, doc_id=review.doc_id)
    except ReportError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    except OSError as e:
        typer.echo(f"error: cannot write {e.filename}: {e.strerror}", err=True)
        raise typer.Exit(2)
    for w in review.warnings:
        typer.echo(f"warning: {w}", err=True)
    typer.echo(
        f"{review.doc_id}: {len(review.paragraphs)} paragraphs, "
        f"{sum(bool(p.counted) for p in review.paragraphs)} with a risk indicator, "
        f"{sum(r.paragraphs > 0 for r in rows)} of {len(rows)} tags with evidence -> {out}"
        + (f", {csv_out}" if csv_out else ""),
        err=True,
    )
