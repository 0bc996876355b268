"""The label store on SQLite and, when CASETAG_TEST_PG_URL is set, on PostgreSQL."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from labels.records import Decision, LabelledParagraph, Suggestion, Unit, read_jsonl, write_jsonl
from labels.store import Store, StoreError, import_file, read_suggestions
from labels.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
PG_URL = os.environ.get("CASETAG_TEST_PG_URL")
needs_pg = pytest.mark.skipif(
    not PG_URL, reason="CASETAG_TEST_PG_URL is unset: `eval \"$(.ci/setup-system)\"` as root starts PostgreSQL")
TABLES = "decisions, adjudicators, thresholds, settings, assignments, suggestions, coders, paragraphs, documents"


def suggestion(doc: str, n: int, tags: list[tuple[str, float]], text: str = "") -> Suggestion:
    """A suggestion for paragraph n of doc; every other tag scores 0.02."""
    unit = Unit(id=f"{doc}:{n}", doc_id=doc, para_id=str(n), section="3. Chronology",
                section_kind="chronology", date=f"2019-01-{n:02d}",
                text=text or f"Paragraph {n} of {doc}.", order=n)
    scores = {t: 0.02 for t in TAXONOMY.ids} | dict(tags)
    return Suggestion(unit, tags, scores, {"name": "casetag-minilm", "version": "m1", "taxonomy": "v1"})


SAMPLE = [
    suggestion("dhr-a", 1, [("substance_misuse", 0.93), ("mental_health", 0.61)]),
    suggestion("dhr-a", 2, []),
    suggestion("dhr-a", 3, [("alcohol_misuse", 0.55)]),
    suggestion("dhr-b", 1, [("housing_instability", 0.88)]),
]


def reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLES} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_pg)])
def db_url(request, tmp_path) -> str:
    """A fresh, empty store location on each backend."""
    if request.param == "postgresql":
        reset_postgres(PG_URL)
        return PG_URL
    return str(tmp_path / "labels.db")


@pytest.fixture
def store(db_url):
    """A store holding SAMPLE, every paragraph assigned to alice and bob."""
    s = Store(db_url)
    s.import_suggestions(SAMPLE)
    s.assign(["alice", "bob"], overlap=2)
    yield s
    s.close()


def current(store: Store, coder: str, pid: str) -> dict[str, str]:
    return store.paragraphs(coder, [pid])[0].state


def test_import_is_idempotent_and_assignment_overlaps(db_url):
    s = Store(db_url)
    assert s.import_suggestions(SAMPLE) == (4, 0)
    changed = [suggestion("dhr-a", 1, [("mental_health", 0.7)])]
    assert s.import_suggestions(changed) == (0, 1)
    assert s.assign(["alice", "bob", "carol"], overlap=2) == 8
    assert s.assign(["alice", "bob", "carol"], overlap=2) == 0
    per_para = [sum(p in {i.id for i in s.queue(c).items} for c in ("alice", "bob", "carol"))
                for p in [x.unit.id for x in SAMPLE]]
    assert per_para == [2, 2, 2, 2]
    view = s.paragraphs("alice", ["dhr-a:1"]) or s.paragraphs("bob", ["dhr-a:1"])
    assert view[0].suggestions == [("mental_health", 0.7)]
    with pytest.raises(StoreError, match="overlap 4"):
        s.assign(["alice", "bob", "carol"], overlap=4)
    s.close()


def test_decisions_append_and_derive_state(store):
    store.decide("alice", "dhr-a:1", [("substance_misuse", "accept")], taxonomy=TAXONOMY)
    store.decide("alice", "dhr-a:1", [("substance_misuse", "reject"), ("mental_health", "accept")],
                 taxonomy=TAXONOMY)
    store.decide("alice", "dhr-a:1", [("carer_status", "accept")], taxonomy=TAXONOMY)
    assert current(store, "alice", "dhr-a:1") == {
        "substance_misuse": "reject", "mental_health": "accept", "carer_status": "add"}
    assert [(d.tag, d.action, d.model_version, d.score) for d in store.decisions()] == [
        ("substance_misuse", "accept", "m1", 0.93), ("substance_misuse", "reject", "m1", 0.93),
        ("mental_health", "accept", "m1", 0.61), ("carer_status", "add", "m1", 0.02)]
    assert current(store, "bob", "dhr-a:1") == {}


def test_done_needs_every_suggestion_decided(store):
    with pytest.raises(StoreError, match="accept or reject substance_misuse, mental_health first"):
        store.decide("alice", "dhr-a:1", [("", "done")], taxonomy=TAXONOMY)
    store.decide("alice", "dhr-a:1", [("substance_misuse", "accept"), ("mental_health", "reject"),
                                      ("", "done")], taxonomy=TAXONOMY)
    store.decide("alice", "dhr-a:2", [("", "done")], taxonomy=TAXONOMY)
    q = store.queue("alice")
    assert (q.coded, q.assigned) == (2, 4)
    assert [i.id for i in store.queue("alice", uncoded_only=True).items] == ["dhr-a:3", "dhr-b:1"]
    assert store.queue("bob").coded == 0


def test_bad_requests_are_refused(store):
    cases = [("carol", "dhr-a:1", [("mental_health", "accept")], "not assigned to coder 'carol'"),
             ("alice", "dhr-a:1", [("no_such_tag", "accept")], "unknown tag 'no_such_tag'"),
             ("alice", "dhr-a:1", [("mental_health", "maybe")], "'maybe' is not one of"),
             ("alice", "dhr-a:1", [("mental_health", "done")], "'done' marks the whole paragraph")]
    for coder, pid, changes, message in cases:
        with pytest.raises(StoreError, match=message):
            store.decide(coder, pid, changes, taxonomy=TAXONOMY)
    assert list(store.decisions()) == []


def test_undo_walks_back_one_step_at_a_time(store):
    decide = lambda changes: store.decide("alice", "dhr-a:1", changes, taxonomy=TAXONOMY)  # noqa: E731
    decide([("substance_misuse", "accept"), ("mental_health", "accept")])   # `a`
    decide([("mental_health", "reject")])
    decide([("", "done")])
    store.decide("bob", "dhr-a:1", [("mental_health", "accept")], taxonomy=TAXONOMY)
    assert store.undo("alice") == "dhr-a:1"
    assert current(store, "alice", "dhr-a:1") == {"substance_misuse": "accept", "mental_health": "reject"}
    store.undo("alice")
    assert current(store, "alice", "dhr-a:1") == {"substance_misuse": "accept", "mental_health": "accept"}
    store.undo("alice")
    assert current(store, "alice", "dhr-a:1") == {}
    assert store.undo("alice") is None
    assert current(store, "bob", "dhr-a:1") == {"mental_health": "accept"}
    assert len(list(store.decisions("alice"))) == 4 + 4  # 4 made, 4 undoing them


def test_queue_orders_and_filters(store):
    ids = lambda **kw: [i.id for i in store.queue("alice", **kw).items]  # noqa: E731
    assert ids() == ["dhr-a:1", "dhr-a:2", "dhr-a:3", "dhr-b:1"]
    assert ids(order="confidence") == ["dhr-a:3", "dhr-a:1", "dhr-b:1", "dhr-a:2"]
    assert ids(doc_id="dhr-b") == ["dhr-b:1"]
    assert ids(tag="mental_health") == ["dhr-a:1"]
    assert ids(min_score=0.5, max_score=0.6) == ["dhr-a:3"]
    assert ids(tag="substance_misuse", max_score=0.6) == []
    assert store.queue("alice").documents == ["dhr-a", "dhr-b"]


def test_export_decisions_and_labelled_paragraphs(store, tmp_path):
    store.decide("alice", "dhr-a:1", [("substance_misuse", "accept"), ("mental_health", "reject"),
                                      ("carer_status", "add"), ("", "done")], taxonomy=TAXONOMY)
    store.decide("alice", "dhr-a:2", [("", "done")], taxonomy=TAXONOMY)
    store.decide("alice", "dhr-a:3", [("alcohol_misuse", "accept")], taxonomy=TAXONOMY)  # not done
    write_jsonl(tmp_path / "d.jsonl", store.decisions())
    assert len(read_jsonl(tmp_path / "d.jsonl", Decision)) == 6
    write_jsonl(tmp_path / "l.jsonl", store.labelled("alice"))
    labelled = read_jsonl(tmp_path / "l.jsonl", LabelledParagraph)
    assert [(p.id, p.labels, p.extra) for p in labelled] == [
        ("dhr-a:1", ["carer_status", "substance_misuse"], {"coder": "alice"}),
        ("dhr-a:2", [], {"coder": "alice"})]


def test_read_suggestions_names_bad_lines(tmp_path):
    path = tmp_path / "s.jsonl"
    good = json.dumps(SAMPLE[0].to_json())
    bad_tag = json.dumps(suggestion("dhr-a", 9, [("made_up", 0.9)]).to_json())
    path.write_text(f"{good}\n{{not json\n{bad_tag}\n{good}\n")
    with pytest.raises(StoreError) as e:
        read_suggestions(path, TAXONOMY)
    assert f"{path}:2:" in str(e.value) and "dhr-a:9: tags not in taxonomy v1: made_up" in str(e.value)
    assert "paragraph dhr-a:1 appears twice" in str(e.value)


def test_import_file_assigns_its_documents(db_url, tmp_path):
    path = tmp_path / "s.jsonl"
    write_jsonl(path, SAMPLE)
    s = Store(db_url)
    summary = import_file(s, path, taxonomy=TAXONOMY, coders=["alice", "bob"], overlap=1)
    assert (summary.documents, summary.new, summary.assigned) == (2, 4, 4)
    assert s.coders() == ["alice", "bob"]
    s.close()


WRITER = textwrap.dedent("""
    import sys
    from labels.store import Store
    from labels.taxonomy import load_taxonomy
    store, tax = Store(sys.argv[1]), load_taxonomy()
    tags = ["substance_misuse", "mental_health", "carer_status"]
    for n in range(100000):
        store.decide("alice", "dhr-a:1", [(tags[n % 3], ("accept", "reject")[n % 2])], taxonomy=tax)
        print(n, flush=True)
""")


def test_killed_writer_leaves_every_acknowledged_decision(store):
    """SIGKILL a process mid-stream: the store opens cleanly and holds every decision
    the writer had acknowledged (printed after its commit returned)."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, store.url], stdout=subprocess.PIPE,
                            text=True, cwd=Path(__file__).parents[1])
    acked = -1
    deadline = time.monotonic() + 60
    while acked < 150 and time.monotonic() < deadline:
        acked = int(proc.stdout.readline() or acked)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert acked >= 150, "the writer did not get going"
    if not store.postgres:
        assert sqlite3.connect(store.url).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    reopened = Store(store.url)
    stored = list(reopened.decisions("alice"))
    assert len(stored) >= acked + 1
    assert [d.tag for d in stored[: acked + 1]] == [
        ["substance_misuse", "mental_health", "carer_status"][n % 3] for n in range(acked + 1)]
    reopened.close()


def test_unreachable_postgres_is_named_without_its_password():
    with pytest.raises(StoreError) as e:
        Store("postgresql://casetag:s3cret@127.0.0.1:1/casetag")
    assert "cannot connect to postgresql://casetag:***@127.0.0.1:1/casetag" in str(e.value)
    assert "s3cret" not in str(e.value)


def code(store: Store, coder: str, pid: str, labels: list[str]) -> None:
    """`coder` codes `pid` with exactly `labels`: suggestions accepted or rejected, others added."""
    suggested = [t for t, _ in store.paragraphs(coder, [pid])[0].suggestions]
    changes = [(t, "accept" if t in labels else "reject") for t in suggested]
    changes += [(t, "add") for t in labels if t not in suggested]
    store.decide(coder, pid, [*changes, ("", "done")], taxonomy=TAXONOMY)


def test_adjudication_is_final_and_kept_apart(store):
    code(store, "alice", "dhr-a:1", ["substance_misuse"])
    code(store, "bob", "dhr-a:1", ["substance_misuse", "mental_health"])
    code(store, "alice", "dhr-a:2", [])
    code(store, "bob", "dhr-a:2", [])
    assert store.codings()["dhr-a:1"] == {"alice": ["substance_misuse"],
                                          "bob": ["mental_health", "substance_misuse"]}
    with pytest.raises(StoreError, match="'carol' is not an adjudicator"):
        store.disputes("carol")
    assert store.add_adjudicators(["carol", "alice"]) == ["alice", "carol"]
    assert [i.id for i in store.disputes("carol").items] == ["dhr-a:1"]
    view = store.adjudication_views("carol", ["dhr-a:1"])[0]
    assert view.disputed == ["mental_health"] and view.state == {} and not view.done
    with pytest.raises(StoreError, match="accept or reject mental_health first"):
        store.decide("carol", "dhr-a:1", [("", "done")], taxonomy=TAXONOMY, adjudicated=True)
    with pytest.raises(StoreError, match="'bob' is not an adjudicator"):
        store.decide("bob", "dhr-a:1", [("mental_health", "reject")], taxonomy=TAXONOMY, adjudicated=True)
    # alice adjudicates a paragraph she also coded: her coding stays as it was
    store.decide("alice", "dhr-a:1", [("mental_health", "accept")], taxonomy=TAXONOMY, adjudicated=True)
    assert current(store, "alice", "dhr-a:1")["mental_health"] == "reject"
    store.decide("carol", "dhr-a:1", [("mental_health", "reject"), ("", "done")], taxonomy=TAXONOMY,
                 adjudicated=True)
    assert store.adjudications() == {"dhr-a:1": {"mental_health": ("reject", "carol"), "": ("done", "carol")}}
    assert store.disputes("carol").coded == 1
    assert store.undo("carol", adjudicated=True) == "dhr-a:1"
    assert store.adjudications()["dhr-a:1"] == {"mental_health": ("accept", "alice")}
    assert store.undo("bob") == "dhr-a:2"  # a coder's undo never touches adjudication
    logged = [(d.coder, d.adjudicated) for d in store.decisions() if d.tag == "mental_health"]
    assert ("carol", True) in logged and ("bob", False) in logged


def test_old_store_gains_the_adjudicated_column(tmp_path):
    s = Store(tmp_path / "old.db")
    s.import_suggestions(SAMPLE)
    s.assign(["alice"])
    s.decide("alice", "dhr-a:2", [("", "done")], taxonomy=TAXONOMY)
    s.close()
    with sqlite3.connect(tmp_path / "old.db") as conn:  # the schema before adjudication
        conn.execute("ALTER TABLE decisions DROP COLUMN adjudicated")
    s = Store(tmp_path / "old.db")
    assert [(d.action, d.adjudicated) for d in s.decisions()] == [("done", False)]
    assert s.queue("alice").coded == 1
    s.close()


def test_informative_order_spreads_across_tags(db_url):
    from labels.store import infer_thresholds, informative_order

    rows = [({"a": 0.49, "b": 0.01}, {"a": 0.5, "b": 0.2}),   # a: right at its threshold
            ({"a": 0.48, "b": 0.02}, {"a": 0.5, "b": 0.2}),   # a: next nearest
            ({"a": 0.01, "b": 0.25}, {"a": 0.5, "b": 0.2}),   # b: nearest
            ({"a": 0.02, "b": 0.9}, {"a": 0.5, "b": 0.2}),
            ({}, {})]
    assert informative_order(rows) == [0, 2, 1, 3, 4]
    inferred = infer_thresholds(SAMPLE)["m1"]
    assert inferred["mental_health"] == round((0.02 + 0.61) / 2, 4)
    assert inferred["housing_instability"] == round((0.02 + 0.88) / 2, 4) and inferred["carer_status"] == 0.5
    s = Store(db_url)
    s.import_suggestions(SAMPLE, thresholds={t: 0.5 for t in TAXONOMY.ids})
    s.assign(["alice"])
    assert s.default_order() == "document"
    s.set_default_order("informative")
    q = s.queue("alice", order=s.default_order())
    assert q.order == "informative"
    assert [i.id for i in q.items] == ["dhr-a:3", "dhr-a:1", "dhr-b:1", "dhr-a:2"]
    s.close()
