"""`casetag promote`: make a registered model version the production one and ship it.

The version (given, or the one registered from a run) is exported to `models/<name>/` (int8
ONNX, as `casetag export` does) and then gets the MLflow registry alias `production`, so the
alias only ever points at a version that exported cleanly.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import typer

ALIAS = "production"
DEFAULT_NAME = "casetag-minilm"


class PromoteError(ValueError):
    """A version that cannot be promoted; the message says why and what to do."""


@dataclass
class Promoted:
    name: str
    version: str
    run_id: str
    alias: str
    model_dir: str
    previous: str | None  # the version the alias pointed at before


def promote(*, name: str = DEFAULT_NAME, run: str | None = None, version: str | None = None,
            models_dir: Path | None = None, data: Path | None = None, uri: str | None = None) -> Promoted:
    """Export version `version` of `name` (or the version registered from `run`) to
    `models_dir`/`name` and point the `production` alias at it."""
    import mlflow

    from training.export import export_model
    from training.tracking import REPO, tracking_uri

    if (run is None) == (version is None):
        raise PromoteError("give exactly one of --run RUN_ID or --version N")
    uri = tracking_uri(uri)
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        if run is not None:
            found = client.search_model_versions(f"name = '{name}' and run_id = '{run}'")
            if not found:
                raise PromoteError(f"run {run} has no registered version of {name!r}: train with "
                                   f"tracking.registered_model: {name}, or pass --name")
            mv = max(found, key=lambda v: int(v.version))
        else:
            mv = client.get_model_version(name, str(version))
        try:
            previous = str(client.get_model_version_by_alias(name, ALIAS).version)
        except mlflow.exceptions.MlflowException:
            previous = None
        source = Path(mlflow.artifacts.download_artifacts(artifact_uri=mv.source, tracking_uri=uri))
    except mlflow.exceptions.MlflowException as e:
        raise PromoteError(f"{name} {'run ' + run if run else 'version ' + str(version)}: {e.message} "
                           f"(store {uri})") from e
    if not (source / "model.safetensors").is_file():
        raise PromoteError(f"{name} version {mv.version} is not a transformer tagger (no model.safetensors): "
                           "only fine-tuned taggers export to ONNX")
    out = (models_dir or REPO / "models") / name
    export_model(source, out, name=name, data=data)
    client.set_registered_model_alias(name, ALIAS, mv.version)
    return Promoted(name, str(mv.version), mv.run_id, ALIAS, str(out), previous)


def promote_cli(
    run: str | None = typer.Option(None, "--run", help="The MLflow run whose registered version to promote."),
    version: str | None = typer.Option(None, "--version", help="The registered version number to promote."),
    name: str = typer.Option(DEFAULT_NAME, "--name", help="Registered model name."),
    models_dir: Path | None = typer.Option(None, "--models-dir", help="Where model folders live (default models/)."),
    data: Path | None = typer.Option(None, "--data", help="Labelled paragraphs for the export's parity checks."),
) -> None:
    """Export a registered version to models/<name>/ and set its registry alias `production`
    (run `casetag compare` first; its verdict says whether to)."""
    from training.meta import ModelError

    try:
        result = promote(name=name, run=run, version=version, models_dir=models_dir, data=data)
    except (PromoteError, ModelError, ValueError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(asdict(result), indent=2))
