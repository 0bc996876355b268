"""MLflow tracking for casetag runs: the store, one run per train or cross-validation, plots, registry.

Default store: `sqlite:///<repo>/mlruns/mlflow.db` with artifacts in `<repo>/mlruns/artifacts`;
MLFLOW_TRACKING_URI (or `tracking.tracking_uri` in the config) names another store or a
tracking server. Telemetry is switched off before mlflow is imported.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_STORE = REPO / "mlruns"


def tracking_uri(configured: str | None = None) -> str:
    """The config's URI, else MLFLOW_TRACKING_URI, else the SQLite store in the repo's mlruns/."""
    return configured or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{DEFAULT_STORE / 'mlflow.db'}"


def _artifact_root(uri: str) -> str | None:
    """For a SQLite store, keep artifacts next to the database file; servers choose their own."""
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).parent / "artifacts").resolve().as_uri()
    return None


@contextlib.contextmanager
def tracked_run(*, experiment: str, run_name: str, uri: str | None = None,
                tags: dict[str, str] | None = None) -> Iterator[Any]:
    """Start an MLflow run; it ends FINISHED, or FAILED (and the error re-raised) on any exception."""
    import mlflow

    uri = tracking_uri(uri)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = mlflow.MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    exp_id = exp.experiment_id if exp else client.create_experiment(experiment, artifact_location=_artifact_root(uri))
    run = mlflow.start_run(experiment_id=exp_id, run_name=run_name, tags=tags or {})
    try:
        yield run
    except BaseException:
        mlflow.end_run(status="FAILED")
        raise
    else:
        mlflow.end_run(status="FINISHED")


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config dict -> {"transformer.lr": 5e-05, ...} for mlflow.log_params."""
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list):
            if v and all(isinstance(x, dict) for x in v):
                for i, x in enumerate(v):
                    out.update(flatten(x, f"{key}.{i}."))
            else:
                out[key] = json.dumps(v)
        else:
            out[key] = v
    return out


def log_config(config_dict: dict[str, Any], config_path: Path | None = None) -> None:
    import mlflow

    mlflow.log_params({k: str(v)[:500] for k, v in flatten(config_dict).items()})
    mlflow.log_dict(config_dict, "config/config.json")
    if config_path is not None and Path(config_path).is_file():
        mlflow.log_artifact(str(config_path), "config")


def log_data_summary(*, data_hash: str, counts: dict[str, dict[str, int]], sizes: dict[str, int]) -> None:
    """The data: hash, positives per tag per split, split sizes."""
    import mlflow

    mlflow.log_param("data_hash", data_hash)
    mlflow.log_metrics({f"n_{k}": v for k, v in sizes.items()})
    mlflow.log_dict({"hash": data_hash, "sizes": sizes, "tag_counts": counts}, "data/summary.json")


def log_epoch(epoch: int, row: dict[str, float]) -> None:
    import mlflow

    mlflow.log_metrics({k: float(v) for k, v in row.items() if k != "epoch" and np.isfinite(v)}, step=epoch)


def log_evaluation(result: dict[str, Any], y: np.ndarray, scores: np.ndarray, tag_ids: Sequence[str],
                   prefix: str = "test") -> None:
    """Micro/macro and per-tag precision/recall/F1/support as metrics, a per-tag table, PR curves
    and a per-tag F1 bar chart (PNG)."""
    import mlflow

    metrics = {f"{prefix}_micro_{k}": v for k, v in result["micro"].items()}
    metrics.update({f"{prefix}_macro_{k}": v for k, v in result["macro"].items()})
    for tag, m in result["per_tag"].items():
        for k in ("precision", "recall", "f1", "support"):
            metrics[f"{prefix}_{tag}_{k}"] = m[k]
    mlflow.log_metrics(metrics)
    table = {"tag": list(result["per_tag"]), **{k: [m[k] for m in result["per_tag"].values()]
                                                for k in ("precision", "recall", "f1", "support", "predicted")}}
    mlflow.log_table(table, f"evaluation/{prefix}_per_tag.json")
    mlflow.log_dict(result, f"evaluation/{prefix}_metrics.json")
    with tempfile.TemporaryDirectory() as tmp:
        for name, fig in (("pr_curves", pr_curves(y, scores, tag_ids)), ("f1_per_tag", f1_bars(result))):
            path = Path(tmp) / f"{prefix}_{name}.png"
            fig.savefig(path, dpi=110, bbox_inches="tight")
            mlflow.log_artifact(str(path), "evaluation")
            import matplotlib.pyplot as plt

            plt.close(fig)


def pr_curves(y: np.ndarray, scores: np.ndarray, tag_ids: Sequence[str]):
    """Precision-recall curves: micro average (bold) and each tag with positives."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import average_precision_score, precision_recall_curve

    fig, ax = plt.subplots(figsize=(8, 6))
    for t, tag in enumerate(tag_ids):
        if y[:, t].sum() == 0:
            continue
        p, r, _ = precision_recall_curve(y[:, t], scores[:, t])
        ax.plot(r, p, lw=0.8, alpha=0.5, label=f"{tag} (AP {average_precision_score(y[:, t], scores[:, t]):.2f})")
    if y.sum():
        p, r, _ = precision_recall_curve(y.ravel(), scores.ravel())
        ax.plot(r, p, lw=2.5, color="black", label=f"micro (AP {average_precision_score(y.ravel(), scores.ravel()):.2f})")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02), title="Precision-recall per tag")
    ax.legend(fontsize=6, ncol=2, loc="lower left")
    return fig


def f1_bars(result: dict[str, Any]):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tags = list(result["per_tag"])
    f1 = [result["per_tag"][t]["f1"] for t in tags]
    support = [result["per_tag"][t]["support"] for t in tags]
    fig, ax = plt.subplots(figsize=(8, 8))
    ax.barh(range(len(tags)), f1, color="#4a7")
    ax.set_yticks(range(len(tags)), [f"{t} ({s})" for t, s in zip(tags, support)], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(result["micro"]["f1"], color="black", ls="--", lw=1, label=f"micro-F1 {result['micro']['f1']:.2f}")
    ax.axvline(result["macro"]["f1"], color="grey", ls=":", lw=1, label=f"macro-F1 {result['macro']['f1']:.2f}")
    ax.set(xlim=(0, 1), xlabel="F1", title="F1 per tag (support)")
    ax.legend(fontsize=8)
    return fig


def log_model_dir(model_dir: Path, artifact_path: str = "model") -> str:
    """Copy a saved model directory into the run's artifacts; returns its runs:/ URI."""
    import mlflow

    mlflow.log_artifacts(str(model_dir), artifact_path)
    return f"runs:/{mlflow.active_run().info.run_id}/{artifact_path}"


def register_model(name: str, artifact_path: str = "model") -> str:
    """Register the active run's model artifacts as a new version of `name`; returns the version."""
    import mlflow

    run = mlflow.active_run()
    client = mlflow.MlflowClient()
    try:
        client.get_registered_model(name)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(name, description="casetag multi-label tagger (taxonomy tags)")
    source = f"{run.info.artifact_uri.rstrip('/')}/{artifact_path}"
    version = client.create_model_version(name, source=source, run_id=run.info.run_id)
    mlflow.set_tag("registered_model", f"{name}/{version.version}")
    return str(version.version)
