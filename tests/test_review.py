"""The review server: its JSON API, cross-site protection, concurrent coders, the command."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from casetag_cli import app as cli
from labels.records import Decision, LabelledParagraph, read_jsonl, write_jsonl
from labels.review import create_app
from labels.store import Store
from test_store import SAMPLE, TAXONOMY, db_url, suggestion  # noqa: F401  (db_url is a fixture)

TOKEN = "test-token"
ROOT = Path(__file__).parents[1]


@pytest.fixture
def store(db_url):  # noqa: F811
    s = Store(db_url)
    s.import_suggestions(SAMPLE)
    s.assign(["alice", "bob"], overlap=2)
    s.assign(["carol"], doc_id="dhr-b")
    yield s
    s.close()


@pytest.fixture
def client(store):
    with TestClient(create_app(store, TAXONOMY, csrf_token=TOKEN), base_url="http://127.0.0.1") as c:
        yield c


def post(client, path: str, body: dict, **headers):
    return client.post(path, json=body, headers={"X-CSRF-Token": TOKEN, **headers})


@contextmanager
def serving(db: str) -> Iterator[tuple[str, str]]:
    """`casetag review serve` in its own process on a free 127.0.0.1 port; yields its base
    URL and the page's CSRF token (read from the page, as a browser would)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", "from casetag_cli import app; app()", "review", "serve",
                             "--db", db, "--port", str(port)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the review server stopped: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "the review server did not answer within 60 s"
            try:
                page = httpx.get(base + "/")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    finally:
        proc.terminate()
        proc.wait(10)


def test_page_carries_token_and_strict_headers(client):
    r = client.get("/")
    assert f'<meta name="csrf-token" content="{TOKEN}">' in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert client.get("/static/review.js").status_code == 200


def test_cross_site_posts_are_refused(client, store):
    body = {"coder": "alice", "paragraph_id": "dhr-a:1", "changes": [["mental_health", "accept"]]}
    assert client.post("/api/decide", json=body).status_code == 403
    assert post(client, "/api/decide", body, **{"X-CSRF-Token": "guess"}).status_code == 403
    r = post(client, "/api/decide", body, Origin="http://evil.example")
    assert r.status_code == 403 and "cross-site" in r.json()["error"]
    r = post(client, "/api/decide", body, Host="rebound.example")  # DNS rebinding
    assert r.status_code == 400
    assert client.get("/api/coders", headers={"Host": "rebound.example:8765"}).status_code == 400
    assert list(store.decisions()) == []
    r = post(client, "/api/decide", body, Origin="http://127.0.0.1")
    assert r.status_code == 200 and r.json()["paragraph"]["state"] == {"mental_health": "accept"}


def test_coders_see_only_their_own_work(client):
    post(client, "/api/decide", {"coder": "alice", "paragraph_id": "dhr-a:1",
                                 "changes": [["mental_health", "accept"]]})
    view = client.get("/api/paragraphs", params={"coder": "bob", "ids": "dhr-a:1"}).json()[0]
    assert view["state"] == {} and view["suggestions"] == [["substance_misuse", 0.93], ["mental_health", 0.61]]
    assert client.get("/api/paragraphs", params={"coder": "carol", "ids": "dhr-a:1"}).json() == []
    q = client.get("/api/queue", params={"coder": "carol"}).json()
    assert [i["id"] for i in q["items"]] == ["dhr-b:1"] and q["assigned"] == 1


def test_queue_filters_and_progress(client):
    post(client, "/api/decide", {"coder": "alice", "paragraph_id": "dhr-a:2", "changes": [["", "done"]]})
    q = client.get("/api/queue", params={"coder": "alice", "order": "confidence", "min": "0.5",
                                         "uncoded": "1"}).json()
    assert [i["id"] for i in q["items"]] == ["dhr-a:3", "dhr-a:1", "dhr-b:1"]
    assert (q["coded"], q["assigned"], q["documents"]) == (1, 4, ["dhr-a", "dhr-b"])


def test_undo_returns_the_paragraph_to_show(client):
    post(client, "/api/decide", {"coder": "alice", "paragraph_id": "dhr-a:3",
                                 "changes": [["alcohol_misuse", "reject"]]})
    r = post(client, "/api/undo", {"coder": "alice"}).json()
    assert r["paragraph"]["id"] == "dhr-a:3" and r["paragraph"]["state"] == {}
    assert post(client, "/api/undo", {"coder": "alice"}).json() == {"paragraph": None}


@pytest.mark.parametrize("body, message", [
    ({"coder": "mallory", "paragraph_id": "dhr-a:1", "changes": []}, "unknown coder 'mallory'"),
    ({"coder": "alice", "paragraph_id": "dhr-a:1", "changes": [["mental_health"]]}, "send {"),
    ({"coder": "alice", "paragraph_id": "dhr-a:1", "changes": [["", "done"]]}, "accept or reject"),
])
def test_bad_requests_get_a_readable_400(client, body, message):
    r = post(client, "/api/decide", body)
    assert r.status_code == 400 and message in r.json()["error"]


def test_four_coders_posting_at_once_lose_nothing(db_url):  # noqa: F811
    """4 coders x 250 decisions, one request each, all at the same time over real HTTP."""
    store = Store(db_url)
    store.import_suggestions([suggestion("dhr-c", n, [("mental_health", 0.7), ("carer_status", 0.6)])
                              for n in range(1, 11)])
    coders = ["c1", "c2", "c3", "c4"]
    store.assign(coders, overlap=4)
    start, failures = threading.Barrier(len(coders)), []
    sent = {c: [(f"dhr-c:{n % 10 + 1}", ("mental_health", "carer_status")[n % 2], ("accept", "reject")[n % 3 % 2])
                for n in range(250)] for c in coders}

    def code(coder: str, base: str, token: str) -> None:
        with httpx.Client(base_url=base, headers={"X-CSRF-Token": token}, timeout=60) as http:
            start.wait()
            for pid, tag, action in sent[coder]:
                r = http.post("/api/decide", json={"coder": coder, "paragraph_id": pid, "changes": [[tag, action]]})
                if r.status_code != 200:
                    failures.append(r.text)

    with serving(store.url) as (base, token):
        threads = [threading.Thread(target=code, args=(c, base, token)) for c in coders]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert failures == []
    for c in coders:
        stored = [(d.paragraph_id, d.tag, d.action) for d in store.decisions(c)]
        assert stored == [(pid, tag, "accept" if a == "accept" else "reject") for pid, tag, a in sent[c]]
    assert len(list(store.decisions())) == 1000
    store.close()


def test_command_imports_and_exports(tmp_path):
    db, suggestions = str(tmp_path / "cli.db"), tmp_path / "s.jsonl"
    write_jsonl(suggestions, SAMPLE)
    runner = CliRunner()
    r = runner.invoke(cli, ["review", "import", str(suggestions), "--db", db, "--coders", "alice"])
    assert r.exit_code == 0, r.output
    assert "4 new and 0 updated paragraphs from 2 document(s); 4 new assignments" in r.output
    Store(db).decide("alice", "dhr-a:2", [("carer_status", "add"), ("", "done")], taxonomy=TAXONOMY)
    out, labels = tmp_path / "decisions.jsonl", tmp_path / "labelled.jsonl"
    r = runner.invoke(cli, ["review", "export", "--db", db, "--out", str(out), "--labels", str(labels),
                            "--coder", "alice"])
    assert r.exit_code == 0, r.output
    assert [d.action for d in read_jsonl(out, Decision)] == ["add", "done"]
    assert [(p.id, p.labels) for p in read_jsonl(labels, LabelledParagraph)] == [("dhr-a:2", ["carer_status"])]
    r = runner.invoke(cli, ["review", "export", "--db", db, "--out", str(out), "--labels", str(labels)])
    assert r.exit_code == 2 and "--labels needs --coder" in r.output
