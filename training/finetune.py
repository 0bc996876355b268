"""Fine-tune the tagger: length-bucketed batches, weighted BCE, layer-wise learning rates, early stopping.

`fit_transformer` is the loop, shared by `casetag train` and cross-validation; it knows nothing
of MLflow (it reports each epoch through a callback).
"""
from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from training.config import ThresholdConfig, TransformerConfig
from training.data import Example, format_input, to_dataset
from training.metrics import multilabel_metrics
from training.model import (
    Tagger, build_tagger, base_model_path, encode_unpadded, load_tokenizer, pad_batch, predict_logits, sigmoid,
)
from training.thresholds import global_threshold, thresholds_for

EpochCallback = Callable[[int, dict[str, float]], None]


@dataclass
class FitResult:
    model: Tagger
    tokenizer: object
    thresholds: np.ndarray  # [tags], chosen on the dev predictions of the best epoch
    dev_scores: np.ndarray  # [n_dev, tags]
    best_epoch: int
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def bucketed_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator,
                     pool: int = 50) -> list[np.ndarray]:
    """Shuffle, sort by length within pools of `pool` batches, cut into batches, shuffle the batches.

    Batches hold paragraphs of similar length, so little CPU time goes to padding, while
    every epoch still sees a new order.
    """
    order = rng.permutation(len(lengths))
    batches = []
    for start in range(0, len(order), batch_size * pool):
        chunk = order[start:start + batch_size * pool]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def pos_weights(y: np.ndarray, mode: str, cap: float) -> torch.Tensor | None:
    """Per-tag weight of positives in the loss from the neg/pos ratio ("sqrt" or "linear"), capped."""
    if mode == "none":
        return None
    pos = y.sum(0)
    ratio = (len(y) - pos) / np.maximum(pos, 1)
    w = np.sqrt(ratio) if mode == "sqrt" else ratio
    return torch.tensor(np.clip(w, 1.0, cap), dtype=torch.float32)


def param_groups(model: Tagger, tc: TransformerConfig) -> list[dict]:
    """AdamW groups: the head at head_lr; encoder layer d (of L) at lr * layer_decay**(L - d)."""
    n_layers = model.encoder.config.num_hidden_layers
    groups: dict[tuple[float, float], list] = {}
    for name, p in model.named_parameters():
        if name.startswith("head."):
            lr = tc.head_lr
        elif ".layer." in name:
            depth = int(name.split(".layer.")[1].split(".")[0]) + 1
            lr = tc.lr * tc.layer_decay ** (n_layers - depth)
        else:  # embeddings
            lr = tc.lr * tc.layer_decay ** n_layers
        decay = 0.0 if p.ndim == 1 else tc.weight_decay
        groups.setdefault((lr, decay), []).append(p)
    return [{"params": ps, "lr": lr, "weight_decay": wd} for (lr, wd), ps in groups.items()]


def dev_summary(y: np.ndarray, scores: np.ndarray, tag_ids: Sequence[str]) -> dict[str, float]:
    """Dev micro/macro-F1 at the single best threshold (what early stopping watches)."""
    grid = np.round(np.arange(0.02, 1.0, 0.02), 6)
    t = global_threshold(y, scores, grid)
    m = multilabel_metrics(y, scores >= t, tag_ids)
    return {"dev_micro_f1": m["micro"]["f1"], "dev_macro_f1": m["macro"]["f1"], "dev_threshold": t}


def tokenized_dataset(examples: Sequence[Example], tag_ids: Sequence[str], input_format: str, tokenizer):
    """A `datasets.Dataset` of the examples with their token ids (unpadded), multi-hot labels and weights."""
    import datasets

    datasets.disable_progress_bars()
    ds = to_dataset(examples, tag_ids, input_format)
    return ds.map(lambda batch: {"input_ids": [e.ids for e in encode_unpadded(tokenizer, batch["input"])]},
                  batched=True, batch_size=512, keep_in_memory=True)


def fit_transformer(train: Sequence[Example], dev: Sequence[Example], *, tag_ids: Sequence[str],
                    tc: TransformerConfig, thresholds: ThresholdConfig, seed: int,
                    on_epoch: EpochCallback | None = None, log: Callable[[str], None] = print) -> FitResult:
    """Fine-tune a tagger on `train`, stop early and choose thresholds on `dev` (real paragraphs).

    Without `dev` (split.dev_fraction 0) every epoch runs, the last is kept and the thresholds
    must be fixed."""
    if not dev and thresholds.fixed is None:
        raise ValueError("no dev split to choose thresholds on: set thresholds.fixed")
    started = time.perf_counter()
    torch.set_num_threads(tc.threads)
    set_seed(seed)
    base = base_model_path(tc.base_model)
    tokenizer = load_tokenizer(base, tc.max_length)
    pad_id = tokenizer.padding["pad_id"]
    model = build_tagger(tc.base_model, len(tag_ids), tc.dropout)

    ds_train = tokenized_dataset(train, tag_ids, tc.input_format, tokenizer)
    x_train = list(ds_train["input_ids"])
    y_train = np.asarray(ds_train["labels"], dtype=np.float32)
    x_dev, y_dev = [], np.zeros((0, len(tag_ids)), dtype=np.float32)
    if dev:
        ds_dev = tokenized_dataset(dev, tag_ids, tc.input_format, tokenizer)
        x_dev, y_dev = list(ds_dev["input_ids"]), np.asarray(ds_dev["labels"], dtype=np.float32)
    w_train = np.asarray(ds_train["weight"], dtype=np.float32)
    lengths = [len(x) for x in x_train]

    pw = pos_weights(y_train, tc.pos_weight, tc.pos_weight_max)
    optimizer = torch.optim.AdamW(param_groups(model, tc))
    steps_per_epoch = math.ceil(len(train) / tc.batch_size)
    total = min(tc.epochs * steps_per_epoch, tc.max_steps or 10**12)
    warmup = max(1, int(tc.warmup_ratio * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    rng = np.random.default_rng(seed)

    best, best_key, best_epoch, bad, step, history = None, -1.0, 0, 0, 0, []
    for epoch in range(1, tc.epochs + 1):
        model.train()
        losses = []
        for idx in bucketed_batches(lengths, tc.batch_size, rng):
            if step >= total:
                break
            input_ids, mask = pad_batch([x_train[i] for i in idx], pad_id)
            target = torch.from_numpy(y_train[idx])
            if tc.label_smoothing:
                target = target * (1 - tc.label_smoothing) + 0.5 * tc.label_smoothing
            logits = model(input_ids, mask)
            per_row = F.binary_cross_entropy_with_logits(logits, target, pos_weight=pw, reduction="none").mean(1)
            w = torch.from_numpy(w_train[idx])
            loss = (per_row * w).sum() / w.sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            step += 1
        row = {"epoch": epoch, "train_loss": float(np.mean(losses)) if losses else float("nan")}
        dev_scores = np.zeros((0, len(tag_ids)), dtype=np.float32)
        if dev:
            dev_logits = predict_logits(model, x_dev, tc.eval_batch_size, pad_id)
            dev_scores = sigmoid(dev_logits)
            row["dev_loss"] = float(F.binary_cross_entropy_with_logits(torch.from_numpy(dev_logits),
                                                                       torch.from_numpy(y_dev)))
            row.update(dev_summary(y_dev, dev_scores, tag_ids))
        row["seconds"] = time.perf_counter() - started
        history.append(row)
        if on_epoch:
            on_epoch(epoch, row)
        log(f"epoch {epoch}: train loss {row['train_loss']:.4f}" + (
            f"  dev loss {row['dev_loss']:.4f}  dev micro-F1 {row['dev_micro_f1']:.3f} "
            f"macro-F1 {row['dev_macro_f1']:.3f}" if dev else "") + f"  ({row['seconds']:.0f}s)")
        key = row["dev_micro_f1"] + row["dev_macro_f1"] if dev else float(epoch)  # no dev: keep the last
        if key > best_key:
            best_key, best_epoch, bad = key, epoch, 0
            best = (copy.deepcopy(model.state_dict()), dev_scores)
        else:
            bad += 1
            if bad >= tc.patience:
                log(f"early stop: no dev improvement for {bad} epochs; keeping epoch {best_epoch}")
                break
        if step >= total:
            break
    state, dev_scores = best
    model.load_state_dict(state)
    model.eval()
    th = thresholds_for(thresholds, y_dev, dev_scores)
    return FitResult(model=model, tokenizer=tokenizer, thresholds=th, dev_scores=dev_scores,
                     best_epoch=best_epoch, history=history, seconds=time.perf_counter() - started)


def score_examples(model: Tagger, tokenizer, examples: Sequence[Example], input_format: str,
                   batch_size: int = 64) -> np.ndarray:
    """Scores [n, tags] of a fitted tagger on examples."""
    ids = [e.ids for e in encode_unpadded(tokenizer, [format_input(e.record, input_format) for e in examples])]
    return sigmoid(predict_logits(model, ids, batch_size, tokenizer.padding["pad_id"]))
