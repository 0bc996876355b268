"""`casetag benchmark`: speed and memory of the shipped model against PyTorch and ONNX fp32."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Optional

import typer

from inference.onnx_model import DEFAULT_MODEL


def benchmark_cli(
    docs: Optional[list[Path]] = typer.Argument(None, help="Review documents to take the paragraphs from."),
    units_file: Optional[Path] = typer.Option(None, "--units", help="Paragraph units (JSON Lines) instead of documents."),
    model: Path = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Exported int8 model folder."),
    torch_model: Optional[Path] = typer.Option(
        None, "--torch-model", help="The trained tagger folder the model was exported from (adds PyTorch eager and ONNX fp32)."),
    threads: int = typer.Option(2, "--threads", min=1),
    batch_size: int = typer.Option(1, "--batch-size", min=1, help="ONNX batch size (PyTorch eager uses 32)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    profile: bool = typer.Option(False, "--profile", help="Also show where the int8 model's time goes, by operator."),
) -> None:
    """Paragraphs per second and peak memory: PyTorch eager, ONNX fp32 and the int8 model, one run each."""
    from inference.segment_cli import expand_paths, segment_documents
    from labels.records import write_jsonl
    from training.benchmark import benchmark, format_table

    if not docs and not units_file:
        typer.echo("error: give review documents or --units FILE.jsonl", err=True)
        raise typer.Exit(2)
    with tempfile.TemporaryDirectory() as tmp:
        units = units_file
        if docs:
            results = list(segment_documents(expand_paths(docs)))
            for r in results:
                if r.error:
                    typer.echo(f"error: {r.error}", err=True)
            units = Path(tmp) / "units.jsonl"
            write_jsonl(units, [u for r in results for u in r.units])
        document = docs[0] if docs and len(docs) == 1 and docs[0].is_file() else None
        report = benchmark(units=units, model=model, torch_model=torch_model, document=document,
                           threads=threads, batch_size=batch_size, profile=profile)
    typer.echo(json.dumps(report, indent=2) if as_json else format_table(report))
