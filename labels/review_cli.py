"""`casetag review`: import suggestions, assign coders, serve the review page, export."""
from __future__ import annotations

from pathlib import Path

import typer

from labels.records import write_jsonl
from labels.store import DEFAULT_DB, DB_ENV, ORDERS, Store, StoreError, import_file
from labels.taxonomy import DEFAULT_TAXONOMY, TaxonomyError, load_taxonomy

review_app = typer.Typer(help="Coder review: import suggestions, assign, serve the page, export decisions.",
                         no_args_is_help=True)

DB = typer.Option(None, "--db", envvar=DB_ENV, show_default=False,
                  help=f"SQLite file or postgresql://user:pass@host:port/db URL [default: {DEFAULT_DB}]")
TAXONOMY = typer.Option(DEFAULT_TAXONOMY, "--taxonomy", help="Taxonomy YAML file.")
CODERS = typer.Option("", "--coders", help="Comma-separated coder names, e.g. alice,bob.")
OVERLAP = typer.Option(1, "--overlap", help="How many coders get each paragraph (2+ for agreement).")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _open(db: str | None) -> Store:
    try:
        return Store(db)
    except StoreError as e:
        raise _fail(str(e))


def _names(coders: str) -> list[str]:
    return [c.strip() for c in coders.split(",") if c.strip()]


def _thresholds(model: Path | None) -> dict[str, float] | None:
    """The per-tag thresholds in a model folder's card (None without a folder)."""
    if model is None:
        return None
    from inference.onnx_model import ModelCard, ModelFolderError

    if not (model / "model_card.json").is_file():
        raise _fail(f"{model}: no model_card.json - name the model folder the suggestions came from")
    try:
        return ModelCard.read(model).thresholds
    except ModelFolderError as e:
        raise _fail(str(e))


@review_app.command("import")
def import_cli(suggestions: Path = typer.Argument(..., exists=True, dir_okay=False, help="suggestions.jsonl"),
               db: str = DB, coders: str = CODERS, overlap: int = OVERLAP, taxonomy: Path = TAXONOMY,
               order: str = typer.Option(None, "--order", help=f"Queue order the page starts with: "
                                         f"{', '.join(ORDERS)} (informative: scores nearest a tag's "
                                         "threshold first, spread across tags)."),
               model: Path = typer.Option(None, "--model", help="The model folder that made the suggestions: "
                                          "its card's thresholds rank the informative order (default: "
                                          "inferred from the suggestions).")) -> None:
    """Load pre-labelled paragraphs (re-importing replaces their suggestions) and assign them."""
    store = _open(db)
    try:
        s = import_file(store, suggestions, taxonomy=load_taxonomy(taxonomy), coders=_names(coders),
                        overlap=overlap, thresholds=_thresholds(model), order=order)
    except (StoreError, TaxonomyError) as e:
        raise _fail(str(e))
    typer.echo(f"{store.where}: {s.new} new and {s.updated} updated paragraphs from {s.documents} "
               f"document(s); {s.assigned} new assignments")
    if not store.coders():
        typer.echo("No coders yet: assign with `casetag review assign --coders alice,bob`.")


@review_app.command("assign")
def assign_cli(coders: str = CODERS, overlap: int = OVERLAP, db: str = DB,
               doc: str = typer.Option(None, "--doc", help="Only this document's paragraphs."),
               adjudicator: list[str] = typer.Option([], "--adjudicator", help="Make NAME an adjudicator: "
                                                     "decides, in the page's adjudication view, paragraphs "
                                                     "coders disagree on (repeatable).")) -> None:
    """Assign paragraphs to coders, round robin in document order, `--overlap` coders each;
    name adjudicators."""
    store = _open(db)
    if adjudicator:
        typer.echo(f"adjudicators: {', '.join(store.add_adjudicators(adjudicator))}")
        if not _names(coders):
            return
    try:
        n = store.assign(_names(coders), overlap=overlap, doc_id=doc)
    except StoreError as e:
        raise _fail(str(e))
    typer.echo(f"{n} new assignments")


@review_app.command("export")
def export_cli(out: Path = typer.Option(..., "--out", help="Decision records (JSON Lines), in order made."),
               labels: Path = typer.Option(None, "--labels", help="Also write the coder's labelled paragraphs here."),
               coder: str = typer.Option(None, "--coder", help="Only this coder (needed with --labels)."),
               db: str = DB) -> None:
    """Write the decision log and, with --labels, one coder's coded paragraphs."""
    if labels and not coder:
        raise _fail("--labels needs --coder NAME: labelled paragraphs are one coder's view")
    store = _open(db)
    typer.echo(f"{out}: {write_jsonl(out, store.decisions(coder))} decisions")
    if labels:
        typer.echo(f"{labels}: {write_jsonl(labels, store.labelled(coder))} coded paragraphs of {coder}")


@review_app.command("serve")
def serve_cli(db: str = DB, host: str = typer.Option("127.0.0.1", help="Address to listen on."),
              port: int = typer.Option(8765, help="Port to listen on."), taxonomy: Path = TAXONOMY) -> None:
    """Serve the review page (keyboard-first; press ? on the page for the keys)."""
    import uvicorn

    from labels.review import LOCAL_HOSTS, create_app

    store = _open(db)
    if not store.coders():
        typer.echo("warning: no coders yet: run `casetag review assign --coders alice,bob` first", err=True)
    typer.echo(f"Reviewing {store.where} at http://{host}:{port}/  (Ctrl+C stops)")
    hosts = ["*"] if host in ("0.0.0.0", "::") else [*LOCAL_HOSTS, host]
    uvicorn.run(create_app(store, load_taxonomy(taxonomy), hosts=hosts), host=host, port=port,
                log_level="warning")
