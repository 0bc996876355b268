"""`casetag compare`: a candidate model against a baseline on the same labelled paragraphs, with a
verdict on whether to promote the candidate.

Either model can be a folder `casetag train` wrote (any kind: transformer or baseline) or an
exported ONNX model folder (models/<name>/, as `casetag prelabel` uses). Each is scored with its
own thresholds.

Verdict: promote when the candidate's micro-F1 is at least `min_gain` (0.01) above the
baseline's and no tag with `min_support` (5) or more positives in the data loses more than
`max_tag_loss` (0.05) F1. Otherwise keep the baseline; the reasons name the numbers.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import typer

from training.data import DataError, Example, format_input, label_matrix, read_labelled
from training.meta import ModelError
from training.metrics import multilabel_metrics

MIN_GAIN, MAX_TAG_LOSS, MIN_SUPPORT = 0.01, 0.05, 5


@dataclass
class TagDelta:
    tag: str
    support: int
    baseline_f1: float
    candidate_f1: float
    delta: float


@dataclass
class Comparison:
    data: str
    n: int
    baseline: dict[str, Any]  # model, micro, macro
    candidate: dict[str, Any]
    micro_delta: float
    macro_delta: float
    per_tag: list[TagDelta]
    rule: dict[str, float]
    promote: bool
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def score_model(path: Path, records) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(scores [n, tags], thresholds [tags], tag order) of a trained or exported model folder."""
    path = Path(path)
    if (path / "model.onnx").is_file():
        from inference.onnx_model import ModelFolderError, OnnxTagger

        try:
            tagger = OnnxTagger(path)
        except ModelFolderError as e:
            raise ModelError(str(e)) from e
        texts = [tagger.card.format_input(r.text, r.section, r.extra.get("section_kind", "other"))
                 for r in records]
        return tagger.scores(texts), np.asarray(tagger.thresholds, dtype=float), list(tagger.tags)
    if not (path / "tagger.json").is_file():
        raise ModelError(f"{path}: neither a trained model folder (tagger.json) nor an exported one (model.onnx)")
    from training.evaluate import load_model

    loaded = load_model(path)
    scores = loaded.score_examples([Example(r, 1.0, False) for r in records])
    return scores, loaded.meta.threshold_array(), list(loaded.meta.tags)


def compare(*, candidate: Path, baseline: Path, data: Path, min_gain: float = MIN_GAIN,
            max_tag_loss: float = MAX_TAG_LOSS, min_support: int = MIN_SUPPORT) -> Comparison:
    """Score both models on `data` and apply the verdict rule of the module docstring."""
    from labels.taxonomy import load_taxonomy

    records = read_labelled(data, load_taxonomy())
    results = {}
    for role, path in (("baseline", baseline), ("candidate", candidate)):
        scores, th, tags = score_model(path, records)
        results[role] = multilabel_metrics(label_matrix(records, tags), scores >= th[None, :], tags)
        results[role]["model"] = str(path)
    b, c = results["baseline"], results["candidate"]
    if list(b["per_tag"]) != list(c["per_tag"]):
        raise ModelError(f"{candidate} and {baseline} have different tags: compare models of one taxonomy")
    per_tag = [TagDelta(t, m["support"], m["f1"], c["per_tag"][t]["f1"], round(c["per_tag"][t]["f1"] - m["f1"], 4))
               for t, m in b["per_tag"].items()]
    micro = round(c["micro"]["f1"] - b["micro"]["f1"], 4)
    failures = []
    if micro < min_gain:
        failures.append(f"micro-F1 {b['micro']['f1']:.3f} -> {c['micro']['f1']:.3f} ({micro:+.3f}) "
                       f"gains less than {min_gain}")
    for d in per_tag:
        if d.support >= min_support and d.delta < -max_tag_loss:
            failures.append(f"{d.tag} (support {d.support}) F1 {d.baseline_f1:.3f} -> {d.candidate_f1:.3f} "
                           f"({d.delta:+.3f}) loses more than {max_tag_loss}")
    passed = (f"micro-F1 {b['micro']['f1']:.3f} -> {c['micro']['f1']:.3f} ({micro:+.3f}) and no tag "
              f"with support >= {min_support} loses more than {max_tag_loss} F1")
    summary = lambda m: {"model": m["model"], "micro": m["micro"], "macro": m["macro"]}  # noqa: E731
    return Comparison(data=str(data), n=len(records), baseline=summary(b), candidate=summary(c),
                      micro_delta=micro, macro_delta=round(c["macro"]["f1"] - b["macro"]["f1"], 4),
                      per_tag=per_tag, rule={"min_gain": min_gain, "max_tag_loss": max_tag_loss,
                                             "min_support": min_support},
                      promote=not failures, reasons=failures or [passed])


def format_comparison(c: Comparison) -> str:
    lines = [f"{c.n} paragraphs of {c.data}",
             f"baseline  {c.baseline['model']}: micro-F1 {c.baseline['micro']['f1']:.3f}, macro-F1 {c.baseline['macro']['f1']:.3f}",
             f"candidate {c.candidate['model']}: micro-F1 {c.candidate['micro']['f1']:.3f}, macro-F1 {c.candidate['macro']['f1']:.3f}",
             "", f"{'tag':<28}{'support':>8}{'baseline':>10}{'candidate':>10}{'delta':>8}"]
    for d in sorted(c.per_tag, key=lambda d: d.delta):
        lines.append(f"{d.tag:<28}{d.support:>8}{d.baseline_f1:>10.3f}{d.candidate_f1:>10.3f}{d.delta:>+8.3f}")
    lines += ["", f"verdict: {'PROMOTE the candidate' if c.promote else 'KEEP the baseline'}",
              *(f"  - {r}" for r in c.reasons)]
    return "\n".join(lines)


def compare_cli(
    candidate: Path = typer.Option(..., "--candidate", help="Model folder: trained (tagger.json) or exported (model.onnx)."),
    baseline: Path = typer.Option(..., "--baseline", help="Model folder to beat, e.g. models/casetag-minilm."),
    data: Path = typer.Option(..., "--data", help="Labelled paragraphs (JSON Lines) neither model trained on."),
    min_gain: float = typer.Option(MIN_GAIN, "--min-gain", help="Micro-F1 gain the candidate needs."),
    max_tag_loss: float = typer.Option(MAX_TAG_LOSS, "--max-tag-loss", help="Largest F1 loss allowed on a tag ..."),
    min_support: int = typer.Option(MIN_SUPPORT, "--min-support", help="... with at least this many positives."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the comparison as JSON here."),
) -> None:
    """Per-tag F1 deltas (with support) of a candidate over a baseline, and a verdict: promote when
    micro-F1 improves by >= --min-gain (0.01) and no tag with >= --min-support (5) positives loses
    more than --max-tag-loss (0.05) F1."""
    try:
        result = compare(candidate=candidate, baseline=baseline, data=data, min_gain=min_gain,
                         max_tag_loss=max_tag_loss, min_support=min_support)
    except (DataError, ModelError, OSError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    typer.echo(format_comparison(result))
    if json_out:
        json_out.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
