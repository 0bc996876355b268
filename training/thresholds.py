"""A decision threshold per tag, chosen on held-out predictions.

Rare tags have a handful of held-out positives, so a tag's own best threshold is shrunk
towards the single threshold that is best for all tags together (micro-F1), in proportion
to how few positives it rests on.
"""
from __future__ import annotations

import numpy as np

from training.config import ThresholdConfig


def f1_at(y: np.ndarray, scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """F1 of one tag at each of `thresholds` (y, scores: [n])."""
    pred = scores[None, :] >= thresholds[:, None]
    tp = (pred & (y[None, :] > 0)).sum(1)
    fp = pred.sum(1) - tp
    fn = (y > 0).sum() - tp
    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)


def _best(values: np.ndarray, grid: np.ndarray) -> float:
    """The middle of the thresholds reaching the best value (robust against flat plateaus)."""
    top = np.flatnonzero(values >= values.max() - 1e-12)
    return float(np.median(grid[top]))


def global_threshold(y: np.ndarray, scores: np.ndarray, grid: np.ndarray) -> float:
    """The single threshold with the best micro-F1 over all tags (y, scores: [n, tags])."""
    return _best(f1_at(y.ravel(), scores.ravel(), grid), grid)


def choose_thresholds(y: np.ndarray, scores: np.ndarray, *, min_support: int = 3, shrink: float = 5.0,
                      default: float = 0.5, grid_step: float = 0.02) -> np.ndarray:
    """Per-tag thresholds [tags] from held-out labels and scores ([n, tags]).

    A tag with at least `min_support` held-out positives gets
    (n_pos * own_best + shrink * global) / (n_pos + shrink); others get the global threshold.
    With no positives at all, every tag gets `default`.
    """
    y = np.asarray(y) > 0
    scores = np.asarray(scores, dtype=float)
    if y.shape != scores.shape or y.ndim != 2:
        raise ValueError(f"labels {y.shape} and scores {scores.shape} should both be [n, tags]")
    grid = np.round(np.arange(grid_step, 1.0, grid_step), 6)
    if not y.any():
        return np.full(y.shape[1], default)
    glob = global_threshold(y, scores, grid)
    out = np.full(y.shape[1], glob)
    for t in range(y.shape[1]):
        n_pos = int(y[:, t].sum())
        if n_pos >= min_support:
            own = _best(f1_at(y[:, t], scores[:, t], grid), grid)
            out[t] = (n_pos * own + shrink * glob) / (n_pos + shrink)
    return np.round(out, 4)


def thresholds_for(config: ThresholdConfig, y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The recipe's thresholds [tags]: `fixed` for every tag, or chosen on held-out `y`, `scores`."""
    if config.fixed is not None:
        return np.full(np.asarray(y).shape[1], float(config.fixed))
    return choose_thresholds(y, scores, min_support=config.min_support, shrink=config.shrink,
                             default=config.default, grid_step=config.grid_step)
