"""`casetag taxonomy`: print the tags."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from labels.taxonomy import DEFAULT_TAXONOMY, TaxonomyError, load_taxonomy


def taxonomy_cli(
    path: Path = typer.Option(DEFAULT_TAXONOMY, "--taxonomy", help="Taxonomy YAML file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show 'tag when' and 'not when'."),
) -> None:
    """Print the risk-indicator taxonomy."""
    try:
        tax = load_taxonomy(path)
    except TaxonomyError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps({"version": tax.version, "groups": tax.groups,
                               "tags": [t.__dict__ for t in tax.tags]}, indent=2, ensure_ascii=False))
        return
    typer.echo(f"taxonomy {tax.version}: {len(tax.tags)} tags")
    for group, description in tax.groups.items():
        typer.echo(f"\n{group}: {description}")
        for t in (t for t in tax.tags if t.group == group):
            typer.echo(f"  {t.id:<26} {t.definition}")
            if verbose:
                typer.echo(f"  {'':<26} tag when: {t.tag_when}")
                if t.not_when:
                    typer.echo(f"  {'':<26} not when: {t.not_when}")
