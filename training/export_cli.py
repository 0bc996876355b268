"""`casetag export`: a trained tagger (folder or MLflow run) to an int8 ONNX model folder."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer


def resolve_source(model: Path | None, run: str | None) -> Path:
    """The local folder of the tagger to export: given directly, or the `model` artifact of an MLflow run."""
    if bool(model) == bool(run):
        raise typer.BadParameter("give exactly one of --model FOLDER or --run RUN_ID")
    if model:
        return model
    import mlflow

    from training.tracking import tracking_uri

    try:
        return Path(mlflow.artifacts.download_artifacts(run_id=run, artifact_path="model",
                                                        tracking_uri=tracking_uri()))
    except mlflow.exceptions.MlflowException as e:
        raise typer.BadParameter(f"MLflow run {run}: no model artifact ({e.message})") from e


def export_cli(
    out: Path = typer.Argument(..., help="Model folder to write, e.g. models/casetag-minilm."),
    model: Optional[Path] = typer.Option(None, "--model", help="A saved tagger folder (from `casetag train`)."),
    run: Optional[str] = typer.Option(None, "--run", help="An MLflow run id whose model to export."),
    data: Optional[Path] = typer.Option(None, "--data", help="Labelled paragraphs (dev data) for the parity checks."),
    name: Optional[str] = typer.Option(None, "--name", help="Model name in the card (default: the folder name)."),
    crossval: list[Path] = typer.Option([], "--crossval", help="metrics.json of a `casetag crossval` run of the same "
                                        "recipe and data, for the model card (repeatable)."),
) -> None:
    """Export to ONNX, fuse the transformer graph, quantise to int8 and write the model card."""
    from training.export import export_model
    from training.model import ModelError

    source = resolve_source(model, run)
    try:
        card = export_model(source, out, name=name, data=data, crossval=crossval)
    except (ModelError, ValueError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    size = (out / "model.onnx").stat().st_size / 2**20
    typer.echo(json.dumps(card.parity, indent=2))
    typer.echo(f"exported {source} -> {out} (model.onnx {size:.1f} MB, int8)", err=True)


def card_cli(
    model_dir: Path = typer.Argument(..., help="An exported model folder, e.g. models/casetag-minilm."),
    crossval: list[Path] = typer.Option([], "--crossval", help="metrics.json of a `casetag crossval` run of the "
                                        "model's recipe and data (repeatable)."),
) -> None:
    """Write the model card a person reads (README.md), adding cross-validation figures to it."""
    from inference.onnx_model import ModelFolderError
    from training.model_card import update_model_card

    try:
        update_model_card(model_dir, crossval)
    except (ModelFolderError, ValueError, OSError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    typer.echo(f"wrote {model_dir / 'README.md'}", err=True)
