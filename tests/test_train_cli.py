"""`casetag train`, `casetag crossval` and `casetag evaluate` end to end on a tiny dataset written here,
tracked in a temporary MLflow store."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from casetag_cli import app

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "configs" / "smoke.yaml"
runner = CliRunner()

# Sentences that carry a tag, so even a few steps have something to learn.
CUES = {
    "substance_misuse": "He was using heroin and crack cocaine and was referred to the drug service.",
    "mental_health": "She was seen by the community mental health team for depression and anxiety.",
    "housing_instability": "He was evicted from his flat and spent weeks sofa surfing and homeless.",
    "alcohol_misuse": "She was intoxicated and drinking heavily and was referred to alcohol services.",
}
FILLER = ["The panel met on three occasions to consider the agency reports.",
          "The GP surgery recorded the contact in the notes.",
          "A letter was sent to the address held on file.",
          "The review thanks the family for their contribution."]


def tiny_rows(prefix: str = "t", n_sections: int = 8, per_section: int = 6) -> list[dict]:
    rows, tags = [], list(CUES)
    for s in range(n_sections):
        for i in range(per_section):
            labels = sorted({tags[(s + i) % 4], tags[(s * i) % 4]}) if (s + i) % 3 else []
            text = " ".join([CUES[t] for t in labels] + [FILLER[(s + i) % 4], f"Paragraph {s}.{i}."])
            rows.append({"id": f"{prefix}-doc:{s}.{i}", "doc_id": f"{prefix}-doc", "para_id": f"{s}.{i}",
                         "section": f"{s}. Section {s}", "text": text, "labels": labels, "source": prefix})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    real = write_jsonl(root / "tiny.jsonl", tiny_rows("real"))
    synthetic = write_jsonl(root / "tiny-syn.jsonl", tiny_rows("syn", n_sections=3))
    return {"root": root, "real": real, "synthetic": synthetic,
            "uri": f"sqlite:///{root / 'mlruns' / 'mlflow.db'}",
            "sources": f"data.sources=[{{path: {real}}}, {{path: {synthetic}, train_only: true, weight: 0.5}}]"}


@pytest.fixture
def store(workspace, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", workspace["uri"])
    import mlflow

    return mlflow.MlflowClient(workspace["uri"])


def runs(client, experiment: str):
    exp = client.get_experiment_by_name(experiment)
    return client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"]) if exp else []


@pytest.fixture(scope="module")
def trained(workspace):
    """Train the smoke recipe once through the command; later tests reuse the model."""
    mp = pytest.MonkeyPatch()
    mp.setenv("MLFLOW_TRACKING_URI", workspace["uri"])
    out = workspace["root"] / "model"
    result = runner.invoke(app, ["train", "--config", str(SMOKE), "--set", workspace["sources"],
                                 "--output", str(out)])
    mp.undo()
    assert result.exit_code == 0, result.output + repr(result.exception)
    return out, json.loads(result.stdout)


def test_train_smoke_finishes_logs_and_registers(trained, store):
    out, printed = trained
    run = store.get_run(printed["run_id"])
    assert run.info.status == "FINISHED"
    m = run.data.metrics
    for key in ("dev_micro_f1", "dev_macro_f1", "dev_mental_health_f1", "dev_mental_health_support",
                "train_loss", "dev_loss", "n_train", "n_dev", "train_seconds"):
        assert key in m, key
    assert len(store.get_metric_history(run.info.run_id, "train_loss")) >= 1  # per-epoch
    assert run.data.params["transformer.max_length"] == "64"
    assert len(run.data.params["data_hash"]) == 64
    artifacts = {f.path for d in ("evaluation", "model", "data", "config")
                 for f in store.list_artifacts(run.info.run_id, d)}
    for path in ("evaluation/dev_pr_curves.png", "evaluation/dev_f1_per_tag.png", "evaluation/dev_per_tag.json",
                 "model/tagger.json", "model/model.safetensors", "model/tokenizer.json", "data/summary.json"):
        assert path in artifacts, path
    versions = store.search_model_versions("name='casetag-smoke'")
    assert printed["registered_version"] in {str(v.version) for v in versions}
    assert any(v.run_id == run.info.run_id for v in versions)


def test_saved_tagger_loads_and_reproduces_its_scores(trained):
    import torch

    from training.model import load_tagger, load_tokenizer, predict_scores

    out, printed = trained
    meta = json.loads((out / "tagger.json").read_text())
    from labels.taxonomy import load_taxonomy

    tax = load_taxonomy()
    assert meta["tags"] == tax.ids and meta["taxonomy_version"] == tax.version
    assert set(meta["thresholds"]) == set(tax.ids)
    assert meta["max_length"] == 64 and meta["input_format"] == "{text}" and meta["kind"] == "transformer"
    assert meta["mlflow_run_id"] == printed["run_id"] and len(meta["data_hash"]) == 64
    assert "dev" in meta["metrics"]
    model, m = load_tagger(out)
    tok = load_tokenizer(out, m.max_length)
    enc = tok.encode_batch(["He was using heroin.", "A much longer paragraph about the panel " * 20])
    ids = torch.tensor([e.ids for e in enc])
    mask = torch.tensor([e.attention_mask for e in enc])
    assert ids.shape[1] <= 64  # tokenizer.json truncates at max_length
    logits = model(ids, mask)
    assert logits.shape == (2, len(tax.ids))
    scores = predict_scores(model, m, tok, ["He was using heroin."])
    assert np.allclose(scores[0], torch.sigmoid(logits[0]).detach().numpy(), atol=1e-5)


def test_a_failing_run_ends_failed_and_registers_nothing(workspace, store, monkeypatch):
    from training import tracking

    before = {str(v.version) for v in store.search_model_versions("name='casetag-smoke'")}

    def broken(*args, **kwargs):
        raise OSError("disk full (forced by the test)")

    monkeypatch.setattr(tracking, "log_model_dir", broken)
    result = runner.invoke(app, ["train", "--config", str(SMOKE), "--set", workspace["sources"],
                                 "--set", "transformer.max_steps=1", "--set", "transformer.epochs=1",
                                 "--output", str(workspace["root"] / "failed")])
    assert result.exit_code != 0
    latest = runs(store, "casetag-smoke")[0]
    assert latest.info.status == "FAILED"
    assert {str(v.version) for v in store.search_model_versions("name='casetag-smoke'")} == before


def test_bad_input_fails_before_any_run(workspace, store, tmp_path):
    bad = write_jsonl(tmp_path / "bad.jsonl", tiny_rows("bad")[:3] + [
        {**tiny_rows("bad")[3], "labels": ["drug_use"]}, {**tiny_rows("bad")[4], "text": ""}])
    n_runs = len(runs(store, "casetag-smoke"))
    result = runner.invoke(app, ["train", "--config", str(SMOKE), "--set", f"data.sources=[{{path: {bad}}}]"])
    assert result.exit_code == 2
    assert "'drug_use' (lines 4)" in result.output and "bad.jsonl:5: field 'text' is empty" in result.output
    typo = tmp_path / "typo.yaml"
    typo.write_text(SMOKE.read_text().replace("batch_size:", "bacth_size:"))
    result = runner.invoke(app, ["train", "--config", str(typo)])
    assert result.exit_code == 2 and "unknown key 'transformer.bacth_size' (did you mean 'batch_size'?)" in result.output
    assert len(runs(store, "casetag-smoke")) == n_runs  # nothing was started


def test_evaluate_prints_metrics_and_writes_a_report(trained, workspace, tmp_path):
    out, _ = trained
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["evaluate", "--model", str(out), "--data", str(workspace["real"]),
                                 "--report", str(report)])
    assert result.exit_code == 0, result.output
    m = json.loads(result.stdout)
    assert m["n"] == 48 and set(m["micro"]) == {"precision", "recall", "f1"} and "f1" in m["macro"]
    assert m["per_tag"]["mental_health"]["support"] == sum("mental_health" in r["labels"] for r in tiny_rows("real"))
    page = report.read_text()
    assert "casetag evaluation" in page and "substance_misuse" in page


def test_baseline_trains_cross_validates_and_evaluates_through_the_same_commands(workspace, store, tmp_path):
    cfg = tmp_path / "tfidf.yaml"
    cfg.write_text((REPO / "configs" / "tfidf-lr.yaml").read_text().replace(
        "registered_model: casetag-tfidf-lr", "registered_model: casetag-smoke-tfidf"))
    out = tmp_path / "tfidf"
    result = runner.invoke(app, ["train", "--config", str(cfg), "--set", workspace["sources"], "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert store.get_run(json.loads(result.stdout)["run_id"]).info.status == "FINISHED"
    result = runner.invoke(app, ["evaluate", "--model", str(out), "--data", str(workspace["real"])])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == "tfidf_lr"
    assert json.loads(result.stdout)["micro"]["f1"] > 0.5  # the cue sentences are easy for TF-IDF

    cv_dir = tmp_path / "cv"
    result = runner.invoke(app, ["crossval", "--config", str(cfg), "--set", workspace["sources"], "--folds", "4",
                                 "--out", str(cv_dir)])
    assert result.exit_code == 0, result.output
    oof = [json.loads(line) for line in (cv_dir / "oof.jsonl").read_text().splitlines()]
    real = tiny_rows("real")
    assert sorted(o["id"] for o in oof) == sorted(r["id"] for r in real)  # every real paragraph once, no synthetic
    section_fold = {}
    for o in oof:
        section = o["id"].split(":")[1].split(".")[0]
        assert section_fold.setdefault(section, o["fold"]) == o["fold"]  # a section stays in one fold
    assert set(section_fold.values()) == {0, 1, 2, 3}
    assert set(oof[0]["scores"]) == set(json.loads((out / "tagger.json").read_text())["tags"])
    cv_run = runs(store, "casetag")[0]
    assert cv_run.info.status == "FINISHED" and "cv_micro_f1" in cv_run.data.metrics
    result = runner.invoke(app, ["crossval", "--config", str(cfg), "--group-by", "chapter", "--no-track"])
    assert result.exit_code == 2 and "--group-by must be 'section' or 'doc'" in result.output


def test_without_a_dev_split_every_real_paragraph_trains_and_the_fixed_threshold_applies(workspace, store, tmp_path):
    out = tmp_path / "nodev"
    args = ["train", "--config", str(SMOKE), "--set", workspace["sources"], "--output", str(out),
            "--set", "split.dev_fraction=0", "--set", "transformer.max_steps=null"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "set thresholds.fixed" in result.output
    result = runner.invoke(app, args + ["--set", "thresholds.fixed=0.4"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    printed = json.loads(result.stdout)
    assert printed["dev"] is None
    meta = json.loads((out / "tagger.json").read_text())
    assert set(meta["thresholds"].values()) == {0.4} and "dev" not in meta["metrics"]
    assert meta["metrics"]["best_epoch"] == 2  # the last epoch is kept
    run = store.get_run(printed["run_id"])
    assert run.data.metrics["n_dev"] == 0 and "dev_micro_f1" not in run.data.metrics
    assert {"path": "tiny.jsonl", "paragraphs": 48, "weight": 1.0, "train_only": False} in meta["metrics"]["training_data"]
