"""tagger.json: what a saved model is and how to feed it, readable without torch."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

TAGGER_FORMAT = "casetag-tagger/1"


class ModelError(ValueError):
    """A model directory that cannot be loaded; the message names the directory and what is missing."""


@dataclass
class TaggerMeta:
    """Everything inference needs besides the weights; written as tagger.json."""

    kind: str  # "transformer", "tfidf_lr" or "embed_lr"
    tags: list[str]  # output order: taxonomy ids
    taxonomy_version: str
    thresholds: dict[str, float]
    input_format: str  # str.format template over text, section, section_kind, applied before the tokenizer
    base_model: str
    max_length: int = 256
    pooling: str = "mean"
    data_hash: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    mlflow_run_id: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    format: str = TAGGER_FORMAT

    def write(self, directory: Path) -> None:
        (Path(directory) / "tagger.json").write_text(
            json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, directory: Path | str) -> "TaggerMeta":
        path = Path(directory) / "tagger.json"
        if not path.is_file():
            raise ModelError(f"{directory}: no tagger.json - not a casetag model directory "
                             "(train one with `casetag train --config ...`)")
        data = json.loads(path.read_text(encoding="utf-8"))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def threshold_array(self) -> np.ndarray:
        return np.array([self.thresholds[t] for t in self.tags], dtype=float)
