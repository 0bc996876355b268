"""The model card a person reads: README.md beside model_card.json, written by `casetag export`."""
from __future__ import annotations

import json
from pathlib import Path

from inference.onnx_model import ModelCard


def crossval_summaries(paths: list[Path], data_hash: str) -> list[dict]:
    """The pooled figures of `casetag crossval` runs (their metrics.json) on the model's own data."""
    out = []
    for path in paths:
        cv = json.loads(Path(path).read_text(encoding="utf-8"))
        if cv.get("data_hash") != data_hash:
            raise ValueError(f"{path}: cross-validated on other data (hash {str(cv.get('data_hash'))[:12]}, "
                             f"the model's is {data_hash[:12]})")
        out.append({k: cv[k] for k in ("config", "folds", "group_by", "n", "micro", "macro", "per_tag")})
    return out


def _f1_row(label: str, m: dict) -> str:
    return (f"| {label} | {m['micro']['precision']:.3f} | {m['micro']['recall']:.3f} | {m['micro']['f1']:.3f} "
            f"| {m['macro']['f1']:.3f} |")


def render_model_card(card: ModelCard) -> str:
    """Markdown: what the model is, what it was trained on, how well it did where, and its limits."""
    lines = [
        f"# {card.name} ({card.version})",
        "",
        f"Tags paragraphs of statutory case reviews with the {len(card.tags)} risk indicators of "
        f"taxonomy {card.taxonomy_version} (`casetag taxonomy`), one sigmoid score per tag; a tag is "
        "suggested when its score reaches the tag's threshold. It is a first pass for human coders, "
        "who accept or reject every suggestion: not a decision about any person.",
        "",
        "## Model",
        "",
        f"- Base encoder `{card.base_model}` (all-MiniLM-L6-v2), fine-tuned with mean pooling and a "
        f"linear multi-label head; ONNX, transformer graph fused by onnxruntime, {card.quantization}.",
        f"- Input: `{card.input_format}`, at most {card.max_length} tokens per window; longer "
        "paragraphs are scored over overlapping windows, each tag keeping its highest score.",
        f"- Training data hash `{card.data_hash[:16]}`" + (f", MLflow run `{card.mlflow_run_id}`."
                                                          if card.mlflow_run_id else "."),
    ]
    for source in card.metrics.get("training_data", []):
        role = "train only (never measured)" if source["train_only"] else "train, dev and measurement"
        lines.append(f"- Source `{source['path']}`: {source['paragraphs']} paragraphs, weight "
                     f"{source['weight']}, {role}.")
    m = card.metrics
    lines += ["", "## Quality", "", "| measured on | micro P | micro R | micro F1 | macro F1 |", "|---|---|---|---|---|"]
    for cv in m.get("crossval", []):
        grouping = "one document held out per fold" if cv["group_by"] == "doc" else "grouped by document section"
        lines.append(_f1_row(f"{cv['folds']}-fold cross-validation of this recipe on {cv['n']} real "
                             f"paragraphs, {grouping}", cv))
    if dev := m.get("dev"):
        lines.append(_f1_row(f"dev split ({dev['n']} paragraphs; also chose the thresholds, so optimistic)", dev))
    lines += [
        "",
        "Only two real documents (a DHR and the SCIE analysis of London reviews) were coded for "
        "training, so every figure above is measured on text much like the training text. Expect "
        "lower figures on other reviews, and check a sample before relying on a tag.",
    ]
    if per_tag := (m.get("crossval") or [{}])[0].get("per_tag"):
        weak = sorted((t for t, v in per_tag.items() if v["support"] >= 5), key=lambda t: per_tag[t]["f1"])[:5]
        lines.append("Weakest tags in cross-validation: " + ", ".join(
            f"`{t}` F1 {per_tag[t]['f1']:.2f} ({per_tag[t]['support']} positives)" for t in weak) + ".")
    p = card.parity
    if p:
        lines += ["", "## Export parity", "",
                  f"- ONNX fp32 vs PyTorch: max absolute logit difference {p['fp32_vs_torch_max_abs_logit_diff']:.1e} "
                  f"over {p['paragraphs']} paragraphs" + (f" of {Path(p['data']).name}." if p.get('data') else "."),
                  f"- int8 vs fp32: {p['int8_vs_fp32_identical_decisions']:.2%} identical tag decisions, "
                  f"{p['int8_vs_fp32_identical_paragraphs']:.1%} identical paragraphs"
                  + (f", micro-F1 {p['micro_f1_fp32']:.4f} -> {p['micro_f1_int8']:.4f}." if "micro_f1_int8" in p else ".")]
    lines += ["", "## Thresholds", "", "| tag | threshold |", "|---|---|"]
    lines += [f"| `{t}` | {card.thresholds[t]:.2f} |" for t in card.tags]
    return "\n".join(lines) + "\n"


def write_model_card(card: ModelCard, directory: Path) -> Path:
    path = Path(directory) / "README.md"
    path.write_text(render_model_card(card), encoding="utf-8")
    return path


def update_model_card(directory: Path, crossval: list[Path]) -> ModelCard:
    """Add cross-validation figures (of the model's recipe, on its data) to an exported model's
    card and rewrite its README.md: for runs that finish after the export."""
    card = ModelCard.read(Path(directory))
    card.metrics["crossval"] = crossval_summaries(crossval, card.data_hash)
    card.write(Path(directory))
    write_model_card(card, directory)
    return card
