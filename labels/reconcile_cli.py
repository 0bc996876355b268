"""`casetag reconcile`: the coders' and adjudicator's decisions as one labelled file for training."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from labels.records import write_jsonl
from labels.review_cli import DB, _fail, _open


def reconcile_cli(out: Path = typer.Option(..., "--out", help="Reconciled labelled paragraphs (JSON Lines)."),
                  unresolved: Path = typer.Option(None, "--unresolved", help="Also list the paragraphs left out "
                                                  "here (JSON Lines: id, tied tags, each coder's labels)."),
                  min_coders: int = typer.Option(1, "--min-coders", help="Only paragraphs coded by this many "
                                                 "coders or more."),
                  db: str = DB) -> None:
    """Per paragraph and tag: adjudicated beats unanimous beats majority. Paragraphs with a tie the
    adjudicator has not decided are left out and listed (adjudicate them in the page's
    /adjudicate view)."""
    from labels.reconcile import reconcile

    if min_coders < 1:
        raise _fail(f"--min-coders is {min_coders}: use 1 or more")
    result = reconcile(_open(db), min_coders=min_coders)
    n = write_jsonl(out, result.records)
    rules = ", ".join(f"{k} {v}" for k, v in sorted(result.decided_by.items())) or "none"
    typer.echo(f"{out}: {n} reconciled paragraphs (tag decisions: {rules}); "
               f"{len(result.unresolved)} unresolved")
    for u in result.unresolved:
        votes = "; ".join(f"{c}: {', '.join(ls) or '(none)'}" for c, ls in u.coders.items())
        typer.echo(f"unresolved: {u.id}: tie on {', '.join(u.tied)} ({votes})", err=True)
    if unresolved:
        unresolved.write_text("".join(json.dumps({"id": u.id, "tied": u.tied, "coders": u.coders}) + "\n"
                                      for u in result.unresolved), encoding="utf-8")
