"""The whole loop once: prelabel -> import -> two coders decide over HTTP -> agreement ->
adjudicate over HTTP -> reconcile -> retrain (smoke recipe) on the reconciled file -> compare."""
import json
import time
from pathlib import Path

from starlette.testclient import TestClient
from typer.testing import CliRunner

from casetag_cli import app
from labels.agreement import agreement
from labels.records import LabelledParagraph, read_jsonl
from labels.review import create_app
from labels.store import Store, import_file
from labels.taxonomy import load_taxonomy
from test_prelabel import EXAMPLE
from test_train_cli import SMOKE, tiny_rows, write_jsonl

TOKEN = "loop-token"
runner = CliRunner()


def code_over_http(http: TestClient, coder: str, choose) -> int:
    """`coder` codes every paragraph of their queue through the API; returns how many."""
    items = http.get("/api/queue", params={"coder": coder}).json()["items"]
    for n, item in enumerate(items):
        view = http.get("/api/paragraphs", params={"coder": coder, "ids": item["id"]}).json()[0]
        changes = choose(n, [t for t, _ in view["suggestions"]]) + [["", "done"]]
        r = http.post("/api/decide", json={"coder": coder, "paragraph_id": item["id"], "changes": changes},
                      headers={"X-CSRF-Token": TOKEN})
        assert r.status_code == 200 and r.json()["paragraph"]["coded"], r.text
    return len(items)


def alice(n: int, suggested: list[str]) -> list[list[str]]:
    """Accepts every suggestion; adds mental_health to every third paragraph."""
    extra = [["mental_health", "add"]] if n % 3 == 0 and "mental_health" not in suggested else []
    return [[t, "accept"] for t in suggested] + extra


def bob(n: int, suggested: list[str]) -> list[list[str]]:
    """Rejects the top suggestion of every other paragraph, accepts the rest."""
    return [[t, "reject" if i == 0 and n % 2 else "accept"] for i, t in enumerate(suggested)]


def test_prelabel_to_compare(tiny_model, tmp_path, monkeypatch):
    started = time.perf_counter()
    tax = load_taxonomy()
    suggestions = tmp_path / "suggestions.jsonl"
    r = runner.invoke(app, ["prelabel", str(EXAMPLE), "--model", str(tiny_model), "--out", str(suggestions)])
    assert r.exit_code == 0, r.output

    store = Store(tmp_path / "labels.db")
    summary = import_file(store, suggestions, taxonomy=tax, coders=["alice", "bob"], overlap=2,
                          order="informative")
    assert (summary.new, summary.assigned) == (18, 36)
    store.add_adjudicators(["carol"])
    with TestClient(create_app(store, tax, csrf_token=TOKEN), base_url="http://127.0.0.1") as http:
        assert http.get("/api/queue", params={"coder": "alice"}).json()["order"] == "informative"
        assert code_over_http(http, "alice", alice) == code_over_http(http, "bob", bob) == 18

        report = agreement(store.codings(), tax.ids)
        assert report.units == 18 and report.coders == ["alice", "bob"]
        assert 0 < report.identical < 1 and report.overall.kappa["alice|bob"] < 1

        disputes = http.get("/api/disputes", params={"adjudicator": "carol"}).json()["items"]
        assert len(disputes) == round(18 * (1 - report.identical))
        for item in disputes[:-1]:  # the last one stays a tie
            view = http.get("/api/adjudication", params={"adjudicator": "carol", "ids": item["id"]}).json()[0]
            changes = [[t, "accept"] for t in view["disputed"]] + [["", "done"]]
            r = http.post("/api/adjudicate", json={"adjudicator": "carol", "paragraph_id": item["id"],
                                                   "changes": changes}, headers={"X-CSRF-Token": TOKEN})
            assert r.status_code == 200 and r.json()["paragraph"]["done"], r.text
    store.close()

    reconciled, unresolved = tmp_path / "reconciled.jsonl", tmp_path / "unresolved.jsonl"
    r = runner.invoke(app, ["reconcile", "--db", str(tmp_path / "labels.db"), "--out", str(reconciled),
                            "--unresolved", str(unresolved)])
    assert r.exit_code == 0, r.output
    records = read_jsonl(reconciled, LabelledParagraph)
    assert len(records) == 17 and json.loads(unresolved.read_text())["id"] == disputes[-1]["id"]
    assert {how for p in records for how in p.extra["provenance"]["decided"].values()} <= {"adjudicated", "unanimous"}

    real = write_jsonl(tmp_path / "tiny.jsonl", tiny_rows("real", n_sections=4))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    model = tmp_path / "retrained"
    r = runner.invoke(app, ["train", "--config", str(SMOKE), "--output", str(model),
                            "--set", f"data.sources=[{{path: {real}}}, {{path: {reconciled}}}]"])
    assert r.exit_code == 0, r.output + repr(r.exception)
    assert json.loads(r.stdout)["registered_version"] == "1"

    r = runner.invoke(app, ["compare", "--candidate", str(model), "--baseline", str(tiny_model),
                            "--data", str(reconciled), "--json", str(tmp_path / "compare.json")])
    assert r.exit_code == 0, r.output
    result = json.loads((tmp_path / "compare.json").read_text())
    assert result["n"] == 17 and len(result["per_tag"]) == len(tax.ids)
    assert ("verdict: PROMOTE" in r.stdout) == result["promote"]
    assert time.perf_counter() - started < 120
