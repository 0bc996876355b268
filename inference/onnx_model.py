"""The exported tagger on onnxruntime: model card, tokenizer, windows, length-bucketed batches.

A model folder (`models/<name>/`) holds `model.onnx` (int8), `tokenizer.json` and
`model_card.json`. Paragraphs longer than the model's window are scored over overlapping
windows and each tag keeps its highest score.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from labels.taxonomy import Taxonomy, load_taxonomy

MODEL_FILES = ("model.onnx", "tokenizer.json", "model_card.json")
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "casetag-minilm"


class ModelFolderError(ValueError):
    """A model folder that cannot be used; the message names the folder and what is wrong."""


@dataclass
class ModelCard:
    """What a shipped model is and how to feed it; written as model_card.json by `casetag export`."""

    name: str
    version: str
    taxonomy_version: str
    tags: list[str]
    thresholds: dict[str, float]
    base_model: str
    max_length: int
    input_format: str = "{text}"
    quantization: str = "int8-dynamic"
    data_hash: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    parity: dict[str, Any] = field(default_factory=dict)
    mlflow_run_id: str | None = None
    source: str = ""

    @classmethod
    def read(cls, directory: Path) -> "ModelCard":
        path = directory / "model_card.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (json.JSONDecodeError, TypeError) as e:
            raise ModelFolderError(f"{path}: not a valid model card ({e})") from e

    def write(self, directory: Path) -> None:
        (directory / "model_card.json").write_text(
            json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def format_input(self, text: str, section: str = "", section_kind: str = "other") -> str:
        return self.input_format.format(text=text, section=section, section_kind=section_kind)


def check_model_folder(directory: Path, taxonomy: Taxonomy) -> ModelCard:
    """The folder's card, after checking its files and that its tags are the taxonomy's."""
    if not directory.is_dir():
        raise ModelFolderError(f"{directory}: no such model folder")
    missing = [f for f in MODEL_FILES if not (directory / f).is_file()]
    if missing:
        raise ModelFolderError(f"{directory}: missing {', '.join(missing)} - export a model with "
                               "`casetag export` or use the shipped one in models/")
    card = ModelCard.read(directory)
    if card.taxonomy_version != taxonomy.version:
        raise ModelFolderError(f"{directory}: model is for taxonomy {card.taxonomy_version}, "
                               f"this casetag uses {taxonomy.version}")
    extra, absent = sorted(set(card.tags) - set(taxonomy.ids)), sorted(set(taxonomy.ids) - set(card.tags))
    if extra or absent:
        raise ModelFolderError(f"{directory}: model tags do not match taxonomy {taxonomy.version}"
                               + (f"; unknown: {', '.join(extra)}" if extra else "")
                               + (f"; missing: {', '.join(absent)}" if absent else ""))
    if set(card.thresholds) != set(card.tags):
        raise ModelFolderError(f"{directory}: model_card.json needs a threshold for every tag")
    return card


class OnnxTagger:
    """Scores paragraphs with an exported model on onnxruntime (no torch)."""

    def __init__(self, directory: Path | str, *, threads: int | None = None,
                 taxonomy: Taxonomy | None = None, profile_prefix: str | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.directory = Path(directory)
        self.card = check_model_folder(self.directory, taxonomy or load_taxonomy())
        self.tags = self.card.tags
        self.thresholds = np.array([self.card.thresholds[t] for t in self.tags], dtype=np.float32)
        self.tokenizer = Tokenizer.from_file(str(self.directory / "tokenizer.json"))
        self.tokenizer.no_padding()
        # Windows overlap by a quarter of their length.
        self.tokenizer.enable_truncation(max_length=self.card.max_length, stride=self.card.max_length // 4)
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.enable_cpu_mem_arena = False  # batches vary in shape; the arena would keep the largest
        # Small batches on one thread each, several batches at once: measured faster per CPU
        # second than large batches spread over threads inside each operator.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        if profile_prefix:  # onnxruntime's per-operator profile, written by session.end_profiling()
            options.enable_profiling = True
            options.profile_file_prefix = profile_prefix
        self.workers = threads or os.cpu_count() or 1
        self.session = ort.InferenceSession(str(self.directory / "model.onnx"), options,
                                            providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}

    def windows(self, texts: Sequence[str]) -> tuple[list[list[int]], np.ndarray]:
        """Token id windows of every text (overlapping when a text is longer than the model's
        window) and, for each window, the index of its text."""
        ids, owner = [], []
        for i, enc in enumerate(self.tokenizer.encode_batch(list(texts))):
            for part in [enc, *enc.overflowing]:
                ids.append(part.ids)
                owner.append(i)
        return ids, np.array(owner, dtype=np.int64)

    @staticmethod
    def batches(lengths: Sequence[int], batch_size: int, max_tokens: int) -> list[np.ndarray]:
        """Indices sorted by length, cut into batches of at most `batch_size` rows and
        `max_tokens` padded tokens, so little time goes to padding and memory stays flat."""
        order = np.argsort(lengths, kind="stable")
        batches, start = [], 0
        while start < len(order):
            end = start + 1
            while (end < len(order) and end - start < batch_size
                   and (end - start + 1) * lengths[order[end]] <= max_tokens):
                end += 1
            batches.append(order[start:end])
            start = end
        return batches

    def _run(self, token_ids: Sequence[Sequence[int]], idx: np.ndarray) -> np.ndarray:
        width = max(len(token_ids[i]) for i in idx)
        input_ids = np.full((len(idx), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for row, i in enumerate(idx):
            input_ids[row, :len(token_ids[i])] = token_ids[i]
            mask[row, :len(token_ids[i])] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask}
        return self.session.run(["logits"], {k: v for k, v in feed.items() if k in self.input_names})[0]

    def logits(self, token_ids: Sequence[Sequence[int]], batch_size: int = 1,
               max_tokens: int = 4096) -> np.ndarray:
        """Logits [windows, tags], run in batches of similar length on `workers` threads,
        returned in input order. With batch_size 1 a paragraph's scores never depend on
        its batch mates (int8 activations are quantised per batch)."""
        out = np.zeros((len(token_ids), len(self.tags)), dtype=np.float32)
        batches = self.batches([len(x) for x in token_ids], batch_size, max_tokens)
        with ThreadPoolExecutor(self.workers) as pool:
            for idx, logits in zip(batches, pool.map(lambda b: self._run(token_ids, b), batches)):
                out[idx] = logits
        return out

    def scores(self, texts: Sequence[str], batch_size: int = 1) -> np.ndarray:
        """Scores [texts, tags] in (0, 1); a text over several windows keeps each tag's maximum."""
        if not texts:
            return np.zeros((0, len(self.tags)), dtype=np.float32)
        ids, owner = self.windows(texts)
        window_scores = 1.0 / (1.0 + np.exp(-self.logits(ids, batch_size)))
        out = np.zeros((len(texts), len(self.tags)), dtype=np.float32)
        np.maximum.at(out, owner, window_scores)
        return out
