"""Multi-label quality numbers: micro and macro precision/recall/F1 and per-tag figures with support."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def multilabel_metrics(y: np.ndarray, pred: np.ndarray, tag_ids: Sequence[str]) -> dict[str, Any]:
    """Micro, macro and per-tag precision/recall/F1 ([n, tags] 0/1 arrays).

    Macro averages run over tags with at least one positive in `y` (a tag absent from the
    data has no recall to measure); `macro_tags` says how many.
    """
    y = np.asarray(y) > 0
    pred = np.asarray(pred) > 0
    tp = (y & pred).sum(0).astype(float)
    fp = (~y & pred).sum(0).astype(float)
    fn = (y & ~pred).sum(0).astype(float)
    support = y.sum(0)

    def prf(tp, fp, fn):
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f

    per_tag = {}
    for i, t in enumerate(tag_ids):
        p, r, f = prf(tp[i], fp[i], fn[i])
        per_tag[t] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                      "support": int(support[i]), "predicted": int(tp[i] + fp[i])}
    mp, mr, mf = prf(tp.sum(), fp.sum(), fn.sum())
    present = [t for i, t in enumerate(tag_ids) if support[i] > 0]
    macro = {k: float(np.mean([per_tag[t][k] for t in present])) if present else 0.0
             for k in ("precision", "recall", "f1")}
    return {
        "n": int(len(y)),
        "micro": {"precision": round(mp, 4), "recall": round(mr, 4), "f1": round(mf, 4)},
        "macro": {k: round(v, 4) for k, v in macro.items()},
        "macro_tags": len(present),
        "per_tag": per_tag,
    }
