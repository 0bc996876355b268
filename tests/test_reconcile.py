"""Reconciliation: adjudicated beats unanimous beats majority; ties leave a paragraph out."""
import json

from typer.testing import CliRunner

from casetag_cli import app
from labels.records import LabelledParagraph, read_jsonl
from labels.reconcile import reconcile, reconcile_paragraph
from labels.store import Store
from test_store import SAMPLE, TAXONOMY, code


def test_rules_per_tag():
    three = {"a": ["x", "y"], "b": ["x"], "c": ["x", "z"]}
    assert reconcile_paragraph(three, {}) == (["x"], {"x": "unanimous", "y": "majority", "z": "majority"}, [])
    two = {"a": ["x", "y"], "b": ["x"]}
    assert reconcile_paragraph(two, {}) == (["x"], {"x": "unanimous"}, ["y"])
    assert reconcile_paragraph(two, {"y": "add", "x": "reject", "": "done"}) == (
        ["y"], {"x": "adjudicated", "y": "adjudicated"}, [])
    assert reconcile_paragraph({"a": [], "b": []}, {}) == ([], {}, [])


def test_store_to_reconciled_file(tmp_path):
    db = str(tmp_path / "r.db")
    store = Store(db)
    store.import_suggestions(SAMPLE)
    store.assign(["alice", "bob"], overlap=2)
    store.add_adjudicators(["carol"])
    code(store, "alice", "dhr-a:1", ["substance_misuse"])
    code(store, "bob", "dhr-a:1", ["substance_misuse", "mental_health"])     # tie on mental_health ...
    code(store, "alice", "dhr-a:2", ["carer_status"])
    code(store, "bob", "dhr-a:2", ["carer_status"])                          # unanimous
    code(store, "alice", "dhr-a:3", ["alcohol_misuse"])
    code(store, "bob", "dhr-a:3", [])                                        # ... tie, adjudicated below
    code(store, "alice", "dhr-b:1", [])                                      # one coder only
    store.decide("carol", "dhr-a:3", [("alcohol_misuse", "reject"), ("", "done")], taxonomy=TAXONOMY,
                 adjudicated=True)
    result = reconcile(store)
    assert [(r.id, r.labels) for r in result.records] == [
        ("dhr-a:2", ["carer_status"]), ("dhr-a:3", []), ("dhr-b:1", [])]
    assert [(u.id, u.tied) for u in result.unresolved] == [("dhr-a:1", ["mental_health"])]
    assert result.records[1].extra["provenance"] == {
        "coders": ["alice", "bob"], "adjudicators": ["carol"], "model_versions": ["m1"],
        "decided": {"alcohol_misuse": "adjudicated"}}
    assert [r.id for r in reconcile(store, min_coders=2).records] == ["dhr-a:2", "dhr-a:3"]
    store.close()

    out, left = tmp_path / "reconciled.jsonl", tmp_path / "unresolved.jsonl"
    r = CliRunner().invoke(app, ["reconcile", "--db", db, "--out", str(out), "--unresolved", str(left)])
    assert r.exit_code == 0, r.output
    assert "3 reconciled paragraphs (tag decisions: adjudicated 1, unanimous 1); 1 unresolved" in r.stdout
    assert "unresolved: dhr-a:1: tie on mental_health (alice: substance_misuse; bob: mental_health, " in r.stderr
    records = read_jsonl(out, LabelledParagraph)
    assert records[0].source == "reconciled" and records[0].extra["section_kind"] == "chronology"
    assert json.loads(left.read_text())["tied"] == ["mental_health"]
