"""Export a tiny tagger to int8 ONNX and pre-label with it: outputs, resume, windows, errors."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from casetag_cli import app
from inference.onnx_model import ModelCard, ModelFolderError, OnnxTagger
from labels.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "example-review.txt"


def test_export_writes_the_card(tiny_model):
    card = json.loads((tiny_model / "model_card.json").read_text())
    assert card["parity"]["fp32_vs_torch_max_abs_logit_diff"] < 1e-3
    assert card["parity"]["int8_vs_fp32_identical_decisions"] > 0.9
    assert card["parity"]["fused_operators"].get("Attention") == 2
    assert card["tags"] == load_taxonomy().ids
    assert card["taxonomy_version"] == "v1" and card["max_length"] == 64
    assert set(card["parity"]) >= {"fp32_vs_torch_max_abs_logit_diff", "int8_vs_fp32_identical_decisions"}
    assert {p.name for p in tiny_model.iterdir()} == {"model.onnx", "tokenizer.json", "model_card.json", "README.md"}
    readme = (tiny_model / "README.md").read_text()
    assert readme.startswith("# tiny (") and "## Export parity" in readme and "| `carer_status` | 0.50 |" in readme


def test_export_puts_cross_validation_of_the_same_data_in_the_card(tiny_tagger, tmp_path):
    from training.export import export_model

    metrics = {"config": "full", "folds": 5, "group_by": "section", "n": 842, "data_hash": "",
               "micro": {"precision": 0.6, "recall": 0.7, "f1": 0.65}, "macro": {"precision": 0.5, "recall": 0.6, "f1": 0.55},
               "per_tag": {"carer_status": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 9}}}
    cv = tmp_path / "metrics.json"
    cv.write_text(json.dumps(metrics))
    card = export_model(tiny_tagger, tmp_path / "m", crossval=[cv])
    assert card.metrics["crossval"][0]["micro"]["f1"] == 0.65
    readme = (tmp_path / "m" / "README.md").read_text()
    assert "| 5-fold cross-validation of this recipe on 842 real paragraphs, grouped by document section " \
           "| 0.600 | 0.700 | 0.650 | 0.550 |" in readme
    assert "`carer_status` F1 0.50 (9 positives)" in readme
    cv.write_text(json.dumps({**metrics, "data_hash": "f00d"}))
    with pytest.raises(ValueError, match="metrics.json: cross-validated on other data"):
        export_model(tiny_tagger, tmp_path / "other", crossval=[cv])


def test_prelabel_documents_to_jsonl(tiny_model, tmp_path):
    out = tmp_path / "s.jsonl"
    result = CliRunner().invoke(app, ["prelabel", str(EXAMPLE), "--model", str(tiny_model), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert [r["para_id"] for r in rows][:3] == ["s0.p1", "1.1", "1.2"]
    tags = load_taxonomy().ids
    for r in rows:
        assert list(r["scores"]) == tags
        over = [t["tag"] for t in r["tags"]]
        assert over == sorted(over, key=lambda t: -r["scores"][t])
        assert set(over) == {t for t in tags if r["scores"][t] >= 0.5}
        assert r["model"] == {"name": "tiny", "version": r["model"]["version"], "taxonomy": "v1"}
    assert any(r["tags"] for r in rows)


def test_units_file_with_malformed_lines(tiny_model, tmp_path):
    units = tmp_path / "units.jsonl"
    CliRunner().invoke(app, ["segment", str(EXAMPLE), "--out", str(units)])
    lines = units.read_text().splitlines()
    lines.insert(2, "{not json")
    lines.insert(5, json.dumps({"id": "x", "text": "no other fields"}))
    units.write_text("\n".join(lines) + "\n")
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(app, ["prelabel", "--units", str(units), "--model", str(tiny_model), "--out", str(out)])
    assert result.exit_code == 1
    assert f"error: {units}:3:" in result.stderr and f"error: {units}:6: missing field" in result.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(lines) - 2
    assert "score_carer_status" in rows[0]


def test_parquet_output(tiny_model, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "s.parquet"
    result = CliRunner().invoke(app, ["prelabel", str(EXAMPLE), "--model", str(tiny_model), "--out", str(out)])
    assert result.exit_code == 0
    table = pq.read_table(out)
    assert table.num_rows == 18 and "score_missed_merlin_acn" in table.column_names


def test_resume_keeps_whole_records_and_adds_the_rest(tiny_model, tmp_path):
    out = tmp_path / "s.jsonl"
    runner = CliRunner()
    runner.invoke(app, ["prelabel", str(EXAMPLE), "--model", str(tiny_model), "--out", str(out)])
    full = out.read_text().splitlines()
    # An interrupted run: 5 whole records and half of the sixth.
    out.write_text("\n".join(full[:5]) + "\n" + full[5][: len(full[5]) // 2])
    result = runner.invoke(app, ["prelabel", str(EXAMPLE), "--model", str(tiny_model), "--out", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    assert "5 already in s.jsonl" in result.stderr
    # One paragraph per batch (the default): scores never depend on batch mates, so the
    # resumed file is the uninterrupted one.
    assert out.read_text().splitlines() == full


def test_long_paragraph_is_scored_over_windows(tiny_model):
    tagger = OnnxTagger(tiny_model)
    sentences = [f"On day {i} the officer visited the flat and spoke to Ms A about her son." for i in range(40)]
    long_text = " ".join(sentences)
    ids, owner = tagger.windows([long_text])
    assert len(ids) > 5 and all(len(x) <= 64 for x in ids) and set(owner) == {0}
    per_window = 1 / (1 + np.exp(-tagger.logits(ids)))
    np.testing.assert_allclose(tagger.scores([long_text])[0], per_window.max(axis=0), rtol=1e-5)


def test_model_folder_errors(tiny_model, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "tokenizer.json").write_text((tiny_model / "tokenizer.json").read_text())
    with pytest.raises(ModelFolderError, match="missing model.onnx, model_card.json"):
        OnnxTagger(broken)

    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for f in tiny_model.iterdir():
        (renamed / f.name).write_bytes(f.read_bytes())
    card = ModelCard.read(renamed)
    card.tags = [t if t != "carer_status" else "carer" for t in card.tags]
    card.write(renamed)
    with pytest.raises(ModelFolderError, match="unknown: carer; missing: carer_status"):
        OnnxTagger(renamed)
    result = CliRunner().invoke(app, ["prelabel", str(EXAMPLE), "--model", str(renamed), "--out", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2 and "do not match taxonomy v1" in result.stderr


def test_prelabel_runs_without_torch(tiny_model, tmp_path):
    """inference/ needs only onnxruntime and tokenizers: torch is made unimportable."""
    out = tmp_path / "s.jsonl"
    code = ("import sys; sys.modules['torch'] = None\n"
            "from casetag_cli import app\n"
            f"app(['prelabel', {str(EXAMPLE)!r}, '--model', {str(tiny_model)!r}, '--out', {str(out)!r}])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text().splitlines()) == 18


def test_card_command_adds_cross_validation_to_an_exported_model(tiny_model, tmp_path):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    cv = tmp_path / "metrics.json"
    cv.write_text(json.dumps({"config": "full", "folds": 2, "group_by": "doc", "n": 842, "data_hash": "",
                              "micro": {"precision": 0.6, "recall": 0.6, "f1": 0.6},
                              "macro": {"precision": 0.5, "recall": 0.6, "f1": 0.55}, "per_tag": {}}))
    result = CliRunner().invoke(app, ["card", str(model), "--crossval", str(cv)])
    assert result.exit_code == 0, result.output
    assert "one document held out per fold | 0.600 | 0.600 | 0.600 | 0.550 |" in (model / "README.md").read_text()
    assert json.loads((model / "model_card.json").read_text())["metrics"]["crossval"][0]["group_by"] == "doc"
    cv.write_text(cv.read_text().replace('"data_hash": ""', '"data_hash": "beef"'))
    result = CliRunner().invoke(app, ["card", str(model), "--crossval", str(cv)])
    assert result.exit_code == 2 and "cross-validated on other data" in result.output
