"""`casetag evaluate`: score a saved model (tagger or baseline) on labelled paragraphs, print JSON,
optionally write an HTML report.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import typer

from training.data import DataError, Example, format_input, label_matrix, read_labelled
from training.metrics import multilabel_metrics
from training.meta import ModelError, TaggerMeta


@dataclass
class LoadedModel:
    """Any saved casetag model behind one call: scores [n, tags] for examples."""

    meta: TaggerMeta
    _impl: Any

    def score_examples(self, examples: Sequence[Example], batch_size: int = 64) -> np.ndarray:
        if self.meta.kind == "transformer":
            from training.model import predict_scores

            model, tokenizer = self._impl
            texts = [format_input(e.record, self.meta.input_format) for e in examples]
            return predict_scores(model, self.meta, tokenizer, texts, batch_size)
        return self._impl.score_examples(examples)


def load_model(path: Path | str) -> LoadedModel:
    """Load a model directory written by `casetag train` (any kind)."""
    meta = TaggerMeta.read(path)
    if meta.kind == "transformer":
        from training.model import load_tagger, load_tokenizer

        model, meta = load_tagger(path)
        return LoadedModel(meta, (model, load_tokenizer(path, meta.max_length)))
    if meta.kind in ("tfidf_lr", "embed_lr"):
        from training.baselines import load_baseline

        model, meta = load_baseline(path)
        return LoadedModel(meta, model)
    raise ModelError(f"{path}: unknown model kind {meta.kind!r} in tagger.json")


def evaluate(*, model: Path | str, data: Path | str, report: Path | str | None = None,
             thresholds: float | None = None) -> dict[str, Any]:
    """Metrics of a saved model on a JSON Lines file of labelled paragraphs.

    Uses the model's per-tag thresholds unless `thresholds` gives one for every tag.
    """
    loaded = load_model(model)
    meta = loaded.meta
    records = read_labelled(data, taxonomy_for(meta))
    examples = [Example(r, 1.0, False) for r in records]
    scores = loaded.score_examples(examples)
    th = np.full(len(meta.tags), thresholds) if thresholds is not None else meta.threshold_array()
    y = label_matrix(records, meta.tags)
    result = multilabel_metrics(y, scores >= th[None, :], meta.tags)
    result = {"model": str(model), "kind": meta.kind, "data": str(data), **result}
    if report:
        write_report(Path(report), result, records, scores, th, meta)
        result["report"] = str(report)
    return result


def taxonomy_for(meta: TaggerMeta):
    """The installed taxonomy, if it is the one the model was trained on."""
    from labels.taxonomy import load_taxonomy

    tax = load_taxonomy()
    if tax.ids != meta.tags:
        raise ModelError(f"the model's tags (taxonomy {meta.taxonomy_version}) differ from the installed "
                         f"taxonomy {tax.version}; evaluate with the casetag version it was trained with")
    return tax


def write_report(path: Path, result: dict[str, Any], records, scores: np.ndarray, th: np.ndarray,
                 meta: TaggerMeta, max_errors: int = 60) -> Path:
    """A self-contained HTML page: summary, per-tag table, and the paragraphs with most errors."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(t)}</td><td>{m['support']}</td><td>{m['predicted']}</td><td>{m['precision']:.3f}</td>"
        f"<td>{m['recall']:.3f}</td><td><span class=bar style='width:{m['f1'] * 120:.0f}px'></span>"
        f"{m['f1']:.3f}</td><td>{th[i]:.2f}</td></tr>"
        for i, (t, m) in enumerate(result["per_tag"].items()))
    errors = []
    for i, r in enumerate(records):
        pred = {t for j, t in enumerate(meta.tags) if scores[i, j] >= th[j]}
        gold = set(r.labels)
        if pred != gold:
            errors.append((len(pred ^ gold), r, pred, gold, i))
    errors.sort(key=lambda x: -x[0])
    err_rows = "".join(
        f"<tr><td>{e(r.id)}</td><td>{e(r.text[:600])}</td>"
        f"<td class=fn>{e(', '.join(sorted(gold - pred)))}</td><td class=fp>"
        + e(", ".join(f"{t} ({scores[i, meta.tags.index(t)]:.2f})" for t in sorted(pred - gold)))
        + "</td></tr>"
        for _, r, pred, gold, i in errors[:max_errors])
    mi, ma = result["micro"], result["macro"]
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>casetag evaluation</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}}
.bar{{display:inline-block;height:10px;background:#4a7;margin-right:6px}}.fn{{color:#b30}}.fp{{color:#36c}}</style>
</head><body><h1>casetag evaluation</h1>
<p>Model <code>{e(str(result['model']))}</code> ({e(meta.kind)}, taxonomy {e(meta.taxonomy_version)}) on
<code>{e(str(result['data']))}</code>: {result['n']} paragraphs.</p>
<table><tr><th></th><th>precision</th><th>recall</th><th>F1</th></tr>
<tr><td>micro</td><td>{mi['precision']:.3f}</td><td>{mi['recall']:.3f}</td><td>{mi['f1']:.3f}</td></tr>
<tr><td>macro ({result['macro_tags']} tags)</td><td>{ma['precision']:.3f}</td><td>{ma['recall']:.3f}</td>
<td>{ma['f1']:.3f}</td></tr></table>
<h2>Per tag</h2><table><tr><th>tag</th><th>support</th><th>predicted</th><th>precision</th><th>recall</th>
<th>F1</th><th>threshold</th></tr>{rows}</table>
<h2>Paragraphs with the most disagreements</h2>
<p><span class=fn>missed</span> / <span class=fp>extra (score)</span>; {len(errors)} paragraphs differ.</p>
<table><tr><th>id</th><th>text</th><th>missed</th><th>extra</th></tr>{err_rows}</table></body></html>"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def evaluate_cli(
    model: Path = typer.Option(..., "--model", help="Model directory written by `casetag train`."),
    data: Path = typer.Option(..., "--data", help="Labelled paragraphs (JSON Lines)."),
    report: Path | None = typer.Option(None, "--report", help="Also write an HTML report here."),
    threshold: float | None = typer.Option(None, "--threshold", help="One threshold for every tag "
                                           "instead of the model's own."),
) -> None:
    """Measure a trained model on labelled paragraphs; print micro/macro/per-tag figures as JSON."""
    try:
        result = evaluate(model=model, data=data, report=report, thresholds=threshold)
    except (DataError, ModelError, OSError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
