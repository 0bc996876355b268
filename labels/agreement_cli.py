"""`casetag agreement`: how far coders agree, per tag and overall."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from labels.review_cli import DB, TAXONOMY, _fail, _open


def agreement_cli(db: str = DB, taxonomy: Path = TAXONOMY,
                  json_out: Path = typer.Option(None, "--json", help="Also write the figures as JSON here."),
                  html_out: Path = typer.Option(None, "--html", help="Also write an HTML page here.")) -> None:
    """Cohen's kappa per coder pair, Krippendorff's alpha, raw agreement and counts, per tag and
    overall, over paragraphs coded by two coders or more."""
    from labels.agreement import agreement, format_table, write_html
    from labels.taxonomy import TaxonomyError, load_taxonomy

    try:
        tags = load_taxonomy(taxonomy).ids
    except TaxonomyError as e:
        raise _fail(str(e))
    try:
        report = agreement(_open(db).codings(), tags)
    except ValueError as e:
        raise _fail(str(e))
    typer.echo(format_table(report))
    if json_out:
        json_out.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    if html_out:
        write_html(report, html_out)
