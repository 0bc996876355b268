"""`casetag segment`: review documents to paragraph units (JSON Lines)."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import typer
from tqdm import tqdm

from inference.ingest import SUPPORTED, DocumentError, read_document
from inference.segment import segment
from labels.records import Unit


@dataclass
class SegmentResult:
    path: Path
    units: list[Unit] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; folders replaced by the supported documents inside them, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in SUPPORTED and f.is_file()))
        else:
            out.append(p)
    return out


def segment_documents(paths: list[Path], *, progress: bool = False) -> Iterator[SegmentResult]:
    """Read and segment each document; a bad document yields its error and the batch goes on."""
    for path in tqdm(paths, desc="segment", unit="doc", disable=None if progress else True, file=sys.stderr):
        try:
            doc = read_document(path)
            yield SegmentResult(path, segment(doc), warnings=doc.warnings)
        except DocumentError as e:
            yield SegmentResult(path, error=str(e))


def segment_cli(
    docs: list[Path] = typer.Argument(..., help="Review documents (.txt, .docx, .pdf) or folders of them."),
    out: Path = typer.Option(..., "--out", "-o", help="Output JSON Lines file of paragraph units."),
) -> None:
    """Split review documents into numbered paragraphs with section, section kind and date."""
    paths = expand_paths(docs)
    results = list(segment_documents(paths, progress=len(paths) > 1))
    for r in results:
        for w in r.warnings:
            typer.echo(f"warning: {w}", err=True)
        if r.error:
            typer.echo(f"error: {r.error}", err=True)
    good = [r for r in results if not r.error]
    if good:
        tmp = out.with_name(out.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for r in good:
                for u in r.units:
                    f.write(json.dumps(u.to_json(), ensure_ascii=False) + "\n")
        tmp.replace(out)
    units = [u for r in good for u in r.units]
    chron = [u for u in units if u.section_kind == "chronology"]
    failed = len(results) - len(good)
    typer.echo(
        f"{len(good)} of {len(results)} document(s) segmented: {len(units)} paragraphs "
        f"({len(chron)} chronology, {sum(u.date is not None for u in chron)} of them dated)"
        + (f" -> {out}" if good else "") + (f"; {failed} failed" if failed else ""),
        err=True,
    )
    if failed:
        raise typer.Exit(1)
