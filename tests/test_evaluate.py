"""`casetag evaluate` on a saved baseline: JSON figures, HTML report, threshold override, bad input."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from casetag_cli import app
from test_train_cli import REPO, tiny_rows, write_jsonl
from training.evaluate import evaluate

runner = CliRunner()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    data = write_jsonl(root / "tiny.jsonl", tiny_rows("real"))
    mp = pytest.MonkeyPatch()
    mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    result = runner.invoke(app, ["train", "--config", str(REPO / "configs" / "tfidf-lr.yaml"),
                                 "--set", f"data.sources=[{{path: {data}}}]", "--output", str(root / "model")])
    mp.undo()
    assert result.exit_code == 0, result.output
    return root / "model", data


def test_evaluate_command_prints_json_and_writes_html(baseline, tmp_path):
    model, data = baseline
    report = tmp_path / "r.html"
    result = runner.invoke(app, ["evaluate", "--model", str(model), "--data", str(data), "--report", str(report)])
    assert result.exit_code == 0, result.output
    m = json.loads(result.stdout)
    assert m["kind"] == "tfidf_lr" and m["n"] == 48
    rows = tiny_rows("real")
    for tag in ("substance_misuse", "mental_health"):
        assert m["per_tag"][tag]["support"] == sum(tag in r["labels"] for r in rows)
    assert m["per_tag"]["financial_abuse"]["support"] == 0 and m["macro_tags"] == 4
    page = report.read_text(encoding="utf-8")
    assert "<table>" in page and "micro" in page and "substance_misuse" in page


def test_a_single_threshold_overrides_the_models_own(baseline):
    model, data = baseline
    everything = evaluate(model=model, data=data, thresholds=0.0)  # every tag predicted everywhere
    assert everything["micro"]["recall"] == 1.0
    assert everything["per_tag"]["mental_health"]["predicted"] == 48
    nothing = evaluate(model=model, data=data, thresholds=1.01)
    assert nothing["micro"]["f1"] == 0.0


def test_evaluate_errors_are_readable(baseline, tmp_path):
    model, _ = baseline
    result = runner.invoke(app, ["evaluate", "--model", str(tmp_path), "--data", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2 and "no tagger.json" in result.output
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**tiny_rows("b")[0], "labels": ["no_such_tag"]}])
    result = runner.invoke(app, ["evaluate", "--model", str(model), "--data", str(bad)])
    assert result.exit_code == 2 and "'no_such_tag' (lines 1)" in result.output
