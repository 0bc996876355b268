"""Unit tests of the training workbench: config, bad input, splits, thresholds, metrics."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from labels.taxonomy import load_taxonomy
from training.config import ConfigError, SourceConfig, load_config
from training.data import (
    DataError, Example, codebook_examples, grouped_stratified_folds, label_matrix, load_examples, read_labelled, split_train_dev,
)
from training.metrics import multilabel_metrics
from training.thresholds import choose_thresholds

TAX = load_taxonomy()


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def row(i: int, labels=(), text="Some paragraph text about the case.", doc="d1", section="S1") -> dict:
    return {"id": f"{doc}:{i}", "doc_id": doc, "para_id": str(i), "section": section, "text": text,
            "labels": list(labels), "source": "test"}


# ---------------------------------------------------------------- config

def write_config(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "c.yaml"
    p.write_text(body, encoding="utf-8")
    return p


BASE = "name: t\ndata:\n  sources:\n    - path: data.jsonl\n"


def test_config_reads_and_resolves_paths_against_its_directory(tmp_path):
    c = load_config(write_config(tmp_path, BASE + "transformer:\n  lr: 1e-4\n  epochs: 2\n"))
    assert c.transformer.lr == pytest.approx(1e-4) and c.transformer.epochs == 2
    assert c.resolve(c.data.sources[0].path) == tmp_path / "data.jsonl"


@pytest.mark.parametrize("body, message", [
    (BASE + "transformer:\n  lerning_rate: 0.1\n", "unknown key 'transformer.lerning_rate'"),
    (BASE + "transformr:\n  epochs: 1\n", "unknown key 'transformr' (did you mean 'transformer'?)"),
    (BASE + "transformer:\n  epochs: two\n", "transformer.epochs should be int"),
    (BASE + "model: bert\n", "model is 'bert'; choose one of"),
    (BASE + "transformer:\n  input_format: '{kind}: {text}'\n", "unknown field"),
    ("name: t\ndata:\n  sources: []\n", "lists no files"),
    ("data:\n  sources:\n    - path: x\n", "missing key(s) name"),
    ("name: t\ndata:\n  sources:\n    - path: x\n      train_only: true\n", "at least one real source"),
])
def test_config_errors_name_the_key(tmp_path, body, message):
    with pytest.raises(ConfigError) as e:
        load_config(write_config(tmp_path, body))
    assert message in str(e.value)
    assert "c.yaml" in str(e.value)


def test_config_overrides_are_validated(tmp_path):
    path = write_config(tmp_path, BASE)
    assert load_config(path, {"transformer.epochs": 3}).transformer.epochs == 3
    with pytest.raises(ConfigError, match="transformer.epoch"):
        load_config(path, {"transformer.epoch": 3})


# ---------------------------------------------------------------- bad input

def test_unknown_labels_are_listed_by_name_with_lines(tmp_path):
    p = write_jsonl(tmp_path / "d.jsonl", [row(1, ["mental_health"]), row(2, ["drug_use"]),
                                           row(3, ["drug_use", "alcoholism"])])
    with pytest.raises(DataError) as e:
        read_labelled(p, TAX)
    msg = str(e.value)
    assert "'alcoholism' (lines 3)" in msg and "'drug_use' (lines 2, 3)" in msg and "d.jsonl" in msg


def test_empty_text_and_duplicate_ids_are_errors(tmp_path):
    p = write_jsonl(tmp_path / "d.jsonl", [row(1), row(2, text="   "), row(1)])
    with pytest.raises(DataError) as e:
        read_labelled(p, TAX)
    assert "d.jsonl:2: field 'text' is empty" in str(e.value)
    assert "d.jsonl:3: duplicate id 'd1:1' (first on line 1)" in str(e.value)


def test_later_source_wins_on_duplicate_ids(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [row(1, ["mental_health"]), row(2)])
    b = write_jsonl(tmp_path / "b.jsonl", [{**row(1, ["carer_status"]), "source": "reconciled",
                                            "provenance": {"coders": ["alice", "bob"]}}, row(3)])
    examples = load_examples([SourceConfig(str(a)), SourceConfig(str(b), weight=2.0)], TAX)
    assert [(e.record.id, e.record.labels, e.weight) for e in examples] == [
        ("d1:1", ["carer_status"], 2.0), ("d1:2", [], 1.0), ("d1:3", [], 2.0)]
    assert examples[0].record.source == "reconciled"


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_labelled(tmp_path / "nope.jsonl", TAX)


# ---------------------------------------------------------------- splits

def make_examples(seed: int = 0, n_sections: int = 30) -> list[Example]:
    """Sections of varying size; a rare tag in exactly 2 sections, a common one in many."""
    rng = np.random.default_rng(seed)
    from labels.records import LabelledParagraph

    out = []
    for s in range(n_sections):
        for i in range(int(rng.integers(2, 12))):
            labels = []
            if s in (3, 17) and i == 0:
                labels.append("financial_abuse")
            if rng.random() < 0.3:
                labels.append("mental_health")
            if s % 4 == 0 and rng.random() < 0.5:
                labels.append("substance_misuse")
            r = LabelledParagraph(id=f"d{s % 3}:{s}.{i}", doc_id=f"d{s % 3}", para_id=f"{s}.{i}",
                                  section=f"Section {s}", text=f"text {s} {i}", labels=labels, source="t")
            out.append(Example(r, 1.0, False))
    return out


def test_folds_keep_sections_together_and_spread_rare_tags():
    ex = make_examples()
    y = label_matrix([e.record for e in ex], TAX.ids)
    folds = grouped_stratified_folds([e.group for e in ex], y, 5, seed=1)
    by_group = {}
    for e, f in zip(ex, folds):
        assert by_group.setdefault(e.group, f) == f, "a section was split across folds"
    assert set(folds) == set(range(5))
    rare = TAX.ids.index("financial_abuse")
    assert len({f for f, yy in zip(folds, y[:, rare]) if yy}) == 2  # its 2 sections went to 2 different folds


def test_train_dev_split_has_no_section_leakage_and_rare_tags_on_both_sides():
    ex = make_examples(seed=3)
    synthetic = [Example(e.record, 0.5, True) for e in make_examples(seed=4)[:20]]
    for e in synthetic:
        e.record = type(e.record)(**{**e.record.__dict__, "id": "syn-" + e.record.id, "doc_id": "syn"})
    train, dev = split_train_dev(ex + synthetic, TAX.ids, 0.25, seed=7)
    assert {e.group for e in train}.isdisjoint({e.group for e in dev})
    assert all(not e.train_only for e in dev), "synthetic paragraphs must never be in dev"
    assert sum(e.train_only for e in train) == len(synthetic)
    assert len(train) + len(dev) == len(ex) + len(synthetic)
    for tag in ("financial_abuse", "substance_misuse", "mental_health"):
        assert any(tag in e.record.labels for e in train), tag
        assert any(tag in e.record.labels for e in dev), tag
    assert 0.1 < len(dev) / len(ex) < 0.45


def test_split_is_deterministic_for_a_seed():
    ex = make_examples(seed=5)
    a = split_train_dev(ex, TAX.ids, 0.2, seed=11)[1]
    b = split_train_dev(ex, TAX.ids, 0.2, seed=11)[1]
    assert [e.record.id for e in a] == [e.record.id for e in b]


def test_too_few_sections_for_the_folds_is_an_error():
    ex = make_examples(n_sections=3)
    with pytest.raises(DataError, match="3 groups"):
        grouped_stratified_folds([e.group for e in ex], label_matrix([e.record for e in ex], TAX.ids), 5, 0)


# ---------------------------------------------------------------- thresholds

def test_thresholds_separate_a_well_ranked_tag_and_fall_back_for_rare_ones():
    rng = np.random.default_rng(0)
    n = 200
    y = np.zeros((n, 3))
    y[:40, 0] = 1  # common tag: positives score 0.7-0.9, negatives 0.0-0.6
    y[:1, 2] = 1  # rare tag: one positive
    scores = np.zeros((n, 3))
    scores[:, 0] = np.where(y[:, 0] > 0, rng.uniform(0.7, 0.9, n), rng.uniform(0.0, 0.6, n))
    scores[:, 1] = rng.uniform(0, 0.3, n)
    scores[:, 2] = rng.uniform(0, 0.5, n)
    th = choose_thresholds(y, scores, min_support=3, shrink=0.0)
    assert 0.6 <= th[0] <= 0.7  # between the negatives' top and the positives' bottom
    assert th[1] == th[2]  # no / too few positives: both get the global threshold
    shrunk = choose_thresholds(y, scores, min_support=3, shrink=1000.0)
    assert abs(shrunk[0] - shrunk[1]) < 0.01  # heavy shrinkage pulls to the global one


def test_thresholds_without_positives_use_the_default():
    assert choose_thresholds(np.zeros((5, 2)), np.full((5, 2), 0.9), default=0.42).tolist() == [0.42, 0.42]


def test_a_fixed_threshold_overrides_the_dev_choice(tmp_path):
    from training.config import ThresholdConfig
    from training.thresholds import thresholds_for

    y = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.1, 0.2]])
    assert thresholds_for(ThresholdConfig(fixed=0.5), y, scores).tolist() == [0.5, 0.5]
    assert thresholds_for(ThresholdConfig(), y, scores).tolist() == choose_thresholds(y, scores).tolist()
    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: c\nmodel: tfidf_lr\ndata: {sources: [{path: x.jsonl}]}\nthresholds: {fixed: 1.5}\n")
    with pytest.raises(ConfigError, match="thresholds.fixed should be between 0 and 1"):
        load_config(cfg)


def test_thresholds_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="should both be"):
        choose_thresholds(np.zeros((5, 2)), np.zeros((5, 3)))


# ---------------------------------------------------------------- metrics

def test_metrics_micro_macro_and_per_tag():
    y = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
    p = np.array([[1, 0, 0], [0, 1, 1], [0, 0, 0], [1, 0, 0]])
    m = multilabel_metrics(y, p, ["a", "b", "c"])
    # a: tp 1 fp 1 fn 1 -> p .5 r .5 f .5 ; b: tp 1 fp 0 fn 1 -> p 1 r .5 f .667 ; c: no support
    assert m["per_tag"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2, "predicted": 2}
    assert m["per_tag"]["b"]["f1"] == pytest.approx(0.6667, abs=1e-4)
    assert m["per_tag"]["c"]["support"] == 0
    assert m["micro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}  # tp 2, fp 2, fn 2
    assert m["macro_tags"] == 2
    assert m["macro"]["f1"] == pytest.approx((0.5 + 0.6667) / 2, abs=1e-4)


def test_codebook_examples_teach_each_tag_its_definition_and_train_only():
    taxonomy = load_taxonomy()
    examples = codebook_examples(taxonomy, weight=2.0)
    assert len(examples) == 2 * len(taxonomy.ids)
    assert all(e.train_only and e.weight == 2.0 and len(e.record.labels) == 1 for e in examples)
    carer = [e.record.text for e in examples if e.record.labels == ["carer_status"]]
    assert any("unpaid" in t.lower() or "care" in t.lower() for t in carer)
    assert len({e.record.id for e in examples}) == len(examples)


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_every_shipped_recipe_loads(path):
    config = load_config(path)
    assert config.name == path.stem and config.data.sources
