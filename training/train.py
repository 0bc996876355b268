"""`casetag train --config configs/NAME.yaml`: load and check the data, split, fit, choose thresholds,
save the model directory, and track it all in one MLflow run (registered when it succeeds).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import typer

from labels.taxonomy import DEFAULT_TAXONOMY, Taxonomy, TaxonomyError, load_taxonomy
from training.config import ConfigError, TrainConfig, load_config
from training.data import DataError, Example, codebook_examples, data_hash, label_matrix, load_examples, split_train_dev, tag_counts
from training.metrics import multilabel_metrics
from training.meta import ModelError, TaggerMeta
from training.tracking import REPO

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@dataclass
class TrainResult:
    model_dir: Path
    run_id: str | None
    registered_version: str | None
    dev_metrics: dict[str, Any] | None  # None without a dev split
    seconds: float


@dataclass
class PreparedData:
    """Checked, combined and split training data."""

    taxonomy: Taxonomy
    examples: list[Example]
    train: list[Example]
    dev: list[Example]
    hash: str

    def sources(self) -> list[dict[str, Any]]:
        """Each source after de-duplication: file name, paragraphs, weight, train_only."""
        out: dict[str, dict[str, Any]] = {}
        for e in self.examples:
            s = out.setdefault(e.origin, {"path": e.origin, "paragraphs": 0, "weight": e.weight,
                                          "train_only": e.train_only})
            s["paragraphs"] += 1
        return list(out.values())

    def summary(self) -> dict[str, Any]:
        tags = self.taxonomy.ids
        return {
            "hash": self.hash,
            "sizes": {"train": len(self.train), "dev": len(self.dev),
                      "train_real": sum(not e.train_only for e in self.train),
                      "train_only": sum(e.train_only for e in self.train)},
            "counts": {"train": tag_counts([e.record for e in self.train], tags),
                       "dev": tag_counts([e.record for e in self.dev], tags)},
        }


def prepare_data(config: TrainConfig) -> PreparedData:
    """Load every source, validate labels against the taxonomy, split train/dev by section."""
    taxonomy = load_taxonomy(config.resolve(config.data.taxonomy) if config.data.taxonomy else DEFAULT_TAXONOMY)
    examples = load_examples(config.data.sources, taxonomy, resolve=config.resolve)
    if config.data.codebook_weight > 0:
        examples += codebook_examples(taxonomy, config.data.codebook_weight)
    train, dev = split_train_dev(examples, taxonomy.ids, config.split.dev_fraction, config.seed,
                                 config.split.group_by)
    if not dev and config.split.dev_fraction > 0:
        raise DataError("the dev split is empty: the real sources need paragraphs from more sections")
    return PreparedData(taxonomy, examples, train, dev, data_hash(examples))


def fit_and_save(config: TrainConfig, data: PreparedData, out_dir: Path, *,
                 on_epoch: Callable[[int, dict], None] | None = None,
                 log: Callable[[str], None] = print) -> tuple[TaggerMeta, np.ndarray]:
    """Fit the configured model on data.train, thresholds on data.dev; save to out_dir.

    Returns the metadata written and the dev scores.
    """
    tags = data.taxonomy.ids
    common = dict(tags=tags, taxonomy_version=data.taxonomy.version, data_hash=data.hash,
                  config=config.to_dict())
    if config.model == "transformer":
        from training.finetune import fit_transformer
        from training.model import save_tagger

        tc = config.transformer
        fit = fit_transformer(data.train, data.dev, tag_ids=tags, tc=tc, thresholds=config.thresholds,
                              seed=config.seed, on_epoch=on_epoch, log=log)
        meta = TaggerMeta(kind="transformer", thresholds=dict(zip(tags, map(float, fit.thresholds))),
                          input_format=tc.input_format, base_model=tc.base_model, max_length=tc.max_length,
                          **common)
        meta.metrics = {"best_epoch": fit.best_epoch, "train_seconds": round(fit.seconds, 1)}
        save_tagger(fit.model, fit.tokenizer, meta, out_dir)
        return meta, fit.dev_scores
    from training.baselines import fit_baseline_with_thresholds, save_baseline

    model, th, dev_scores = fit_baseline_with_thresholds(
        data.train, data.dev, kind=config.model, tag_ids=tags, bc=config.baseline,
        thresholds=config.thresholds, tc=config.transformer, seed=config.seed)
    meta = TaggerMeta(kind=config.model, thresholds=dict(zip(tags, map(float, th))),
                      input_format=config.baseline.input_format,
                      base_model=config.transformer.base_model if config.model == "embed_lr" else "",
                      max_length=config.transformer.max_length, pooling="mean" if config.model == "embed_lr" else "",
                      **common)
    save_baseline(model, meta, out_dir)
    return meta, dev_scores


def default_output(config: TrainConfig) -> Path:
    return config.resolve(config.output) if config.output else REPO / "out" / config.name


def train(*, config: TrainConfig, config_path: Path | None = None, output: Path | None = None,
          log: Callable[[str], None] = print) -> TrainResult:
    """Train the model a config describes, tracked in MLflow; returns where it was saved.

    All input is checked (config, data, labels) before a run is started. A run that fails ends
    FAILED and registers nothing: the model version is registered as the run's last step.
    """
    from training import tracking

    started = time.perf_counter()
    data = prepare_data(config)
    out_dir = Path(output) if output else default_output(config)
    summary = data.summary()
    log(f"data {data.hash[:12]}: {summary['sizes']}")
    with tracking.tracked_run(experiment=config.tracking.experiment, run_name=config.name,
                              uri=config.tracking.tracking_uri,
                              tags={"casetag.kind": config.model, "casetag.command": "train"}) as run:
        tracking.log_config(config.to_dict(), config_path)
        tracking.log_data_summary(data_hash=data.hash, counts=summary["counts"], sizes=summary["sizes"])
        meta, dev_scores = fit_and_save(config, data, out_dir, on_epoch=tracking.log_epoch, log=log)
        tags = data.taxonomy.ids
        result = None
        if data.dev:
            y_dev = label_matrix([e.record for e in data.dev], tags)
            result = multilabel_metrics(y_dev, dev_scores >= meta.threshold_array()[None, :], tags)
            tracking.log_evaluation(result, y_dev, dev_scores, tags, prefix="dev")
            meta.metrics.update({"dev": {k: result[k] for k in ("n", "micro", "macro")},
                                 "dev_per_tag": result["per_tag"]})
        meta.metrics["training_data"] = data.sources()
        meta.mlflow_run_id = run.info.run_id
        meta.write(out_dir)
        (out_dir / "thresholds.json").write_text(json.dumps(meta.thresholds, indent=2) + "\n")
        seconds = time.perf_counter() - started
        import mlflow

        mlflow.log_metric("train_seconds", seconds)
        tracking.log_model_dir(out_dir)
        version = None
        if config.tracking.registered_model:
            version = tracking.register_model(config.tracking.registered_model)
            log(f"registered {config.tracking.registered_model} version {version}")
    return TrainResult(out_dir, run.info.run_id, version, result, seconds)


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """["transformer.epochs=2", ...] -> {"transformer.epochs": 2}; values are read as YAML."""
    import yaml

    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"--set {pair!r}: use KEY=VALUE, e.g. transformer.epochs=2")
        key, value = pair.split("=", 1)
        out[key.strip()] = yaml.safe_load(value)
    return out


def train_cli(
    config: Path = typer.Option(..., "--config", "-c", help="Training recipe (YAML), e.g. configs/full.yaml."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Model directory (default: the config's "
                                       "output, or out/<name>)."),
    set_: list[str] = typer.Option([], "--set", help="Override a config key: --set transformer.epochs=2."),
) -> None:
    """Train a tagger (or a baseline) from a config; track it in MLflow and register the model."""
    try:
        cfg = load_config(config, parse_overrides(set_))
        result = train(config=cfg, config_path=config, output=output, log=lambda m: typer.echo(m, err=True))
    except (ConfigError, DataError, TaxonomyError, ModelError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps({"model": str(result.model_dir), "run_id": result.run_id,
                           "registered_version": result.registered_version,
                           "dev": result.dev_metrics and {k: result.dev_metrics[k] for k in ("n", "micro", "macro")},
                           "seconds": round(result.seconds, 1)}, indent=2))
