"""`casetag prelabel`: documents or paragraph units to tag suggestions."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from inference.onnx_model import DEFAULT_MODEL, ModelFolderError, OnnxTagger
from inference.prelabel import prelabel, with_progress
from inference.segment_cli import expand_paths, segment_documents
from inference.writers import OutputError, done_ids, open_writer, output_format
from labels.records import LineError, Unit, iter_jsonl


def prelabel_cli(
    docs: Optional[list[Path]] = typer.Argument(None, help="Review documents (.txt, .docx, .pdf) or folders."),
    units_file: Optional[Path] = typer.Option(None, "--units", help="Paragraph units (JSON Lines from `casetag segment`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file: .jsonl (default), .csv or .parquet."),
    fmt: Optional[str] = typer.Option(None, "--format", help="jsonl, csv or parquet (default: from --out)."),
    model: Path = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Exported model folder."),
    batch_size: int = typer.Option(1, "--batch-size", min=1, help="Paragraph windows per batch (1: scores independent of batch mates)."),
    threads: int = typer.Option(0, "--threads", min=0, help="CPU threads (0: all cores)."),
    resume: bool = typer.Option(False, "--resume", help="Keep the records already in --out and add the rest."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar on stderr."),
) -> None:
    """Tag paragraphs with risk indicators: suggestions with a score for every tag."""
    if not docs and not units_file:
        typer.echo("error: give review documents or --units FILE.jsonl", err=True)
        raise typer.Exit(2)
    failures = 0
    units: list[Unit] = []
    if docs:
        for result in segment_documents(expand_paths(docs)):
            for w in result.warnings:
                typer.echo(f"warning: {w}", err=True)
            if result.error:
                typer.echo(f"error: {result.error}", err=True)
                failures += 1
            units.extend(result.units)
    if units_file:
        if not units_file.is_file():
            typer.echo(f"error: {units_file}: no such file", err=True)
            raise typer.Exit(2)
        for item in iter_jsonl(units_file, Unit):
            if isinstance(item, LineError):
                typer.echo(f"error: {item}", err=True)
                failures += 1
            else:
                units.append(item)
    try:
        tagger = OnnxTagger(model, threads=threads or None)
        kind = output_format(out, fmt)
        done = done_ids(out, kind) if resume else set()
    except (ModelFolderError, OutputError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    todo = [u for u in units if u.id not in done]
    start, tagged, suggested = time.perf_counter(), 0, 0
    writer = open_writer(out, kind, tagger.tags, append=resume)
    try:
        for batch in prelabel(with_progress(todo, enabled=progress), tagger, batch_size=batch_size):
            writer.write(batch)
            tagged += len(batch)
            suggested += sum(len(s.tags) for s in batch)
    finally:
        writer.close()
    seconds = time.perf_counter() - start
    typer.echo(
        f"{tagged} paragraphs tagged in {seconds:.1f} s ({tagged / max(seconds, 1e-9):.0f}/s), "
        f"{suggested} tags suggested -> {out}"
        + (f"; {len(units) - len(todo)} already in {out.name}" if resume else "")
        + (f"; {failures} input error(s)" if failures else ""),
        err=True,
    )
    if failures:
        raise typer.Exit(1)
