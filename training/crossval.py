"""`casetag crossval --config ... --folds 5`: k-fold cross-validation grouped by document section.

Folds are built over the real paragraphs only (train_only/synthetic ones are added to every
training fold, never measured). Inside each fold the recipe runs exactly as `casetag train`
does: a grouped, stratified dev split of the fold's real training paragraphs for early stopping
and thresholds. Writes out-of-fold predictions (for finding likely mislabelled paragraphs later)
and the pooled metrics, and logs the run to MLflow like a training run (no model registered).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import typer

from labels.taxonomy import TaxonomyError
from training.config import ConfigError, TrainConfig, load_config
from training.data import DataError, Example, grouped_stratified_folds, label_matrix, split_train_dev
from training.metrics import multilabel_metrics
from training.meta import ModelError
from training.tracking import REPO


@dataclass
class CrossvalResult:
    metrics: dict[str, Any]  # pooled over all out-of-fold predictions
    fold_metrics: list[dict[str, Any]]
    oof_path: Path
    run_id: str | None
    seconds: float


def fit_fold(config: TrainConfig, train: list[Example], test: list[Example], tag_ids: list[str],
             log: Callable[[str], None]) -> tuple[np.ndarray, np.ndarray]:
    """Fit the configured model on one fold's training part; (test scores, thresholds)."""
    inner_train, dev = split_train_dev(train, tag_ids, config.split.dev_fraction, config.seed, config.split.group_by)
    if config.model == "transformer":
        from training.finetune import fit_transformer, score_examples

        fit = fit_transformer(inner_train, dev, tag_ids=tag_ids, tc=config.transformer,
                              thresholds=config.thresholds, seed=config.seed, log=log)
        return score_examples(fit.model, fit.tokenizer, test, config.transformer.input_format), fit.thresholds
    from training.baselines import fit_baseline_with_thresholds

    model, th, _ = fit_baseline_with_thresholds(inner_train, dev, kind=config.model, tag_ids=tag_ids,
                                                bc=config.baseline, thresholds=config.thresholds,
                                                tc=config.transformer, seed=config.seed)
    return model.score_examples(test), th


def crossval(*, config: TrainConfig, folds: int = 5, out_dir: Path | None = None, config_path: Path | None = None,
             track: bool = True, group_by: str | None = None,
             log: Callable[[str], None] = print) -> CrossvalResult:
    """Grouped k-fold cross-validation of a recipe on its real paragraphs; see the module docstring.

    `group_by` ("section" or "doc", default the recipe's split.group_by) groups the folds only;
    `--folds 2 --group-by doc` on two documents is leave-one-document-out.
    """
    from training.train import prepare_data

    group_by = group_by or config.split.group_by
    if group_by not in ("section", "doc"):
        raise ConfigError(f"--group-by must be 'section' or 'doc', not {group_by!r}")
    started = time.perf_counter()
    data = prepare_data(config)  # validates everything first
    tags = data.taxonomy.ids
    real = [e for e in data.examples if not e.train_only]
    extra = [e for e in data.examples if e.train_only]
    groups = [e.group if group_by == "section" else e.record.doc_id for e in real]
    y = label_matrix([e.record for e in real], tags)
    fold_of = grouped_stratified_folds(groups, y, folds, config.seed)
    out_dir = Path(out_dir) if out_dir else REPO / "out" / f"cv-{config.name}"
    out_dir.mkdir(parents=True, exist_ok=True)

    def body(run) -> CrossvalResult:
        scores = np.zeros(y.shape)
        th_of = np.zeros(y.shape)
        fold_metrics = []
        for f in range(folds):
            test_idx = np.flatnonzero(fold_of == f)
            train = [e for e, g in zip(real, fold_of) if g != f] + extra
            test = [real[i] for i in test_idx]
            log(f"fold {f + 1}/{folds}: train {len(train)}, test {len(test)}")
            s, th = fit_fold(config, train, test, tags, log)
            scores[test_idx], th_of[test_idx] = s, th[None, :]
            m = multilabel_metrics(y[test_idx], s >= th[None, :], tags)
            fold_metrics.append({"fold": f, "n": len(test), "micro": m["micro"], "macro": m["macro"]})
            log(f"fold {f + 1}: micro-F1 {m['micro']['f1']:.3f} macro-F1 {m['macro']['f1']:.3f}")
            if run is not None:
                import mlflow

                mlflow.log_metrics({"fold_micro_f1": m["micro"]["f1"], "fold_macro_f1": m["macro"]["f1"]}, step=f)
        pred = scores >= th_of
        metrics = multilabel_metrics(y, pred, tags)
        oof_path = out_dir / "oof.jsonl"
        with oof_path.open("w", encoding="utf-8") as fh:
            for i, e in enumerate(real):
                fh.write(json.dumps({
                    "id": e.record.id, "fold": int(fold_of[i]), "labels": e.record.labels,
                    "predicted": [t for j, t in enumerate(tags) if pred[i, j]],
                    "scores": {t: round(float(scores[i, j]), 4) for j, t in enumerate(tags)},
                }, ensure_ascii=False) + "\n")
        summary = {"config": config.name, "model": config.model, "folds": folds, "group_by": group_by,
                   "data_hash": data.hash, "n": len(real), "train_only": len(extra),
                   "micro": metrics["micro"], "macro": metrics["macro"], "fold_metrics": fold_metrics,
                   "per_tag": metrics["per_tag"], "seconds": round(time.perf_counter() - started, 1)}
        (out_dir / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        if run is not None:
            from training import tracking

            tracking.log_evaluation(metrics, y, scores, tags, prefix="cv")
            import mlflow

            mlflow.log_artifact(str(oof_path), "crossval")
            mlflow.log_artifact(str(out_dir / "metrics.json"), "crossval")
        return CrossvalResult(metrics, fold_metrics, oof_path, run.info.run_id if run else None,
                              time.perf_counter() - started)

    if not track:
        return body(None)
    from training import tracking

    with tracking.tracked_run(experiment=config.tracking.experiment, run_name=f"cv-{config.name}",
                              uri=config.tracking.tracking_uri,
                              tags={"casetag.kind": config.model, "casetag.command": "crossval"}) as run:
        tracking.log_config(config.to_dict(), config_path)
        s = data.summary()
        tracking.log_data_summary(data_hash=data.hash, counts={"all": s["counts"]["train"]},
                                  sizes={"real": len(real), "train_only": len(extra), "folds": folds})
        return body(run)


def crossval_cli(
    config: Path = typer.Option(..., "--config", "-c", help="Training recipe (YAML)."),
    folds: int = typer.Option(5, "--folds", "-k", help="Number of folds."),
    group_by: str | None = typer.Option(None, "--group-by", help="Keep each 'section' or 'doc' in one fold "
                                        "(default: the recipe's split.group_by)."),
    out: Path | None = typer.Option(None, "--out", help="Directory for oof.jsonl and metrics.json "
                                    "(default out/cv-<name>)."),
    set_: list[str] = typer.Option([], "--set", help="Override a config key: --set transformer.epochs=2."),
    no_track: bool = typer.Option(False, "--no-track", help="Do not log to MLflow."),
) -> None:
    """Cross-validate a recipe on its real paragraphs; write out-of-fold predictions and print metrics."""
    from training.train import parse_overrides

    try:
        cfg = load_config(config, parse_overrides(set_))
        result = crossval(config=cfg, folds=folds, out_dir=out, config_path=config, track=not no_track,
                          group_by=group_by, log=lambda m: typer.echo(m, err=True))
    except (ConfigError, DataError, TaxonomyError, ModelError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps({"micro": result.metrics["micro"], "macro": result.metrics["macro"],
                           "folds": result.fold_metrics, "oof": str(result.oof_path), "run_id": result.run_id,
                           "seconds": round(result.seconds, 1)}, indent=2))
