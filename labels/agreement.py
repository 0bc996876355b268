"""Agreement between coders: Cohen's kappa per coder pair, Krippendorff's alpha over any number of
coders, raw agreement and counts, per tag and pooled over all tags ("overall").

Units are paragraphs coded ("done") by two coders or more. A coder's value for a tag is 1 when
they accepted or added it, 0 when they rejected it or left it out (binary, nominal). Pooled
figures treat every (paragraph, tag) as one unit. Kappa and alpha are None where they are
undefined: every value the same, so there is no disagreement to expect.
"""
from __future__ import annotations

import html
import itertools
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np


@dataclass
class TagAgreement:
    tag: str  # a tag id, or "overall" (pooled over tags)
    units: int  # paragraphs coded by two coders or more
    positives: dict[str, int]  # per coder: units they gave the tag
    agreement: float | None  # share of coder pairs on a unit that give the same value
    alpha: float | None  # Krippendorff's alpha (nominal)
    kappa: dict[str, float | None]  # Cohen's kappa per coder pair "a|b", over units both coded

    @property
    def mean_kappa(self) -> float | None:
        values = [k for k in self.kappa.values() if k is not None]
        return float(np.mean(values)) if values else None


@dataclass
class AgreementReport:
    coders: list[str]
    units: int
    identical: float  # share of units on which every coder gave the same tag set
    overall: TagAgreement
    per_tag: list[TagAgreement]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def cohen_kappa(a: Sequence, b: Sequence) -> float | None:
    """Cohen's kappa of two coders' nominal values on the same units."""
    a, b = np.asarray(a), np.asarray(b)
    if len(a) == 0:
        return None
    observed = float(np.mean(a == b))
    expected = sum(float(np.mean(a == c)) * float(np.mean(b == c)) for c in np.union1d(a, b))
    return None if expected >= 1 else (observed - expected) / (1 - expected)


def krippendorff_alpha(values: np.ndarray) -> float | None:
    """Krippendorff's alpha (nominal) of a [units, coders] array of category codes, NaN = not coded.

    Units with fewer than two values are left out (they are not pairable).
    """
    values = np.asarray(values, dtype=float)
    cats = np.unique(values[~np.isnan(values)])
    if not len(cats):
        return None
    counts = np.stack([(values == c).sum(1) for c in cats], 1).astype(float)  # [units, cats]
    m = counts.sum(1)
    counts, m = counts[m >= 2], m[m >= 2]
    if not len(m):
        return None
    coincidence = np.einsum("uc,uk->ck", counts / (m - 1)[:, None], counts)
    coincidence -= np.diag((counts / (m - 1)[:, None]).sum(0))  # a value is not paired with itself
    n_c = coincidence.sum(1)
    n = n_c.sum()
    off = ~np.eye(len(cats), dtype=bool)
    expected = (np.outer(n_c, n_c)[off].sum()) / (n - 1)
    return None if expected == 0 else 1 - coincidence[off].sum() / expected


def _pairs_agreement(values: np.ndarray) -> float | None:
    """Share of agreeing coder pairs over all units ([units, coders], NaN = not coded)."""
    agree = total = 0
    for i, j in itertools.combinations(range(values.shape[1]), 2):
        both = ~np.isnan(values[:, i]) & ~np.isnan(values[:, j])
        agree += int((values[both, i] == values[both, j]).sum())
        total += int(both.sum())
    return agree / total if total else None


def _measure(tag: str, values: np.ndarray, coders: Sequence[str], units: int) -> TagAgreement:
    kappa = {}
    for i, j in itertools.combinations(range(len(coders)), 2):
        both = ~np.isnan(values[:, i]) & ~np.isnan(values[:, j])
        if both.any():
            k = cohen_kappa(values[both, i], values[both, j])
            kappa[f"{coders[i]}|{coders[j]}"] = None if k is None else round(k, 4)
    alpha = krippendorff_alpha(values)
    agreement = _pairs_agreement(values)
    return TagAgreement(tag=tag, units=units,
                        positives={c: int(np.nansum(values[:, i])) for i, c in enumerate(coders)},
                        agreement=None if agreement is None else round(agreement, 4),
                        alpha=None if alpha is None else round(alpha, 4), kappa=kappa)


def agreement(codings: Mapping[str, Mapping[str, Sequence[str]]], tags: Sequence[str]) -> AgreementReport:
    """Agreement over `codings` (paragraph -> coder -> labels, e.g. `Store.codings()`) for `tags`;
    ValueError when no paragraph has two coders."""
    units = {pid: by for pid, by in codings.items() if len(by) >= 2}
    coders = sorted({c for by in units.values() for c in by})
    ids = sorted(units)
    if not ids:
        raise ValueError("no paragraph is coded by two coders yet: assign with --overlap 2 and code some first")
    # values[tag, unit, coder]: 1 tag given, 0 not, NaN paragraph not coded by that coder
    values = np.full((len(tags), len(ids), len(coders)), np.nan)
    for u, pid in enumerate(ids):
        for c, coder in enumerate(coders):
            if coder in units[pid]:
                labels = set(units[pid][coder])
                values[:, u, c] = [t in labels for t in tags]
    per_tag = [_measure(t, values[k], coders, len(ids)) for k, t in enumerate(tags)]
    overall = _measure("overall", values.reshape(-1, len(coders)), coders, len(ids))
    identical = [len({frozenset(ls) for ls in units[pid].values()}) == 1 for pid in ids]
    return AgreementReport(coders=coders, units=len(ids), identical=float(np.mean(identical)),
                           overall=overall, per_tag=per_tag)


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _rows(report: AgreementReport) -> list[list[str]]:
    out = []
    for t in [report.overall, *report.per_tag]:
        out.append([t.tag, str(t.units), str(sum(t.positives.values())), _fmt(t.agreement), _fmt(t.alpha),
                    _fmt(t.mean_kappa)])
    return out


HEADER = ["tag", "units", "positives", "agreement", "alpha", "kappa"]


def format_table(report: AgreementReport) -> str:
    """A plain-text table: overall, then each tag (kappa is the mean over coder pairs)."""
    rows = [HEADER, *_rows(report)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    head = (f"{report.units} paragraphs coded by 2+ of {len(report.coders)} coders ({', '.join(report.coders)}); "
            f"identical tag sets on {_fmt(report.identical)}")
    return "\n".join([head, *lines])


def write_html(report: AgreementReport, path) -> None:
    """A self-contained page with the same table and the kappa of every coder pair."""
    e = html.escape
    pairs = sorted({p for t in [report.overall, *report.per_tag] for p in t.kappa})
    head = "".join(f"<th>{e(h)}</th>" for h in HEADER[:-1] + [f"kappa {p}" for p in pairs])
    body = "".join(
        "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row[:-1])
        + "".join(f"<td>{_fmt(t.kappa.get(p))}</td>" for p in pairs) + "</tr>"
        for row, t in zip(_rows(report), [report.overall, *report.per_tag]))
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>casetag agreement</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}
tr:nth-child(2){{font-weight:600}}</style></head><body><h1>Agreement between coders</h1>
<p>{report.units} paragraphs coded by two coders or more ({e(', '.join(report.coders))}); identical tag sets
on {_fmt(report.identical)} of them. A coder's value for a tag: given (accepted or added) or not. Alpha is
Krippendorff's (nominal) over all coders, kappa Cohen's per pair; – where undefined (no variation).</p>
<table><tr>{head}</tr>{body}</table></body></html>"""
    path.write_text(page, encoding="utf-8")
