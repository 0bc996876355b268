"""The label store: documents, paragraphs, suggestions, coders, assignments and the
append-only decision log, in SQLite (WAL; the default) or PostgreSQL (by URL).

Nothing is updated in place: a tag's current state for a coder is that coder's latest
decision on it, and undo appends decisions restoring the state before the undone step.
The database is `--db`, else $CASETAG_DB, else `data/casetag.db` (a path or a
`postgresql://user:password@host:port/dbname` URL).
"""
from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from labels.records import (
    ACTIONS, PARAGRAPH_TAG, Decision, LabelledParagraph, LineError, Suggestion, Unit, iter_jsonl,
)
from labels.taxonomy import Taxonomy

DEFAULT_DB = "data/casetag.db"
DB_ENV = "CASETAG_DB"
ORDERS = ("document", "confidence", "informative")

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    imported TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS paragraphs (
    id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents (id),
    para_id TEXT NOT NULL,
    section TEXT NOT NULL,
    section_kind TEXT NOT NULL,
    date TEXT,
    text TEXT NOT NULL,
    ord INTEGER NOT NULL,
    model_version TEXT,
    scores TEXT NOT NULL,
    confidence REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS suggestions (
    paragraph_id TEXT NOT NULL REFERENCES paragraphs (id),
    tag TEXT NOT NULL,
    score REAL NOT NULL,
    model_version TEXT,
    rank INTEGER NOT NULL,
    PRIMARY KEY (paragraph_id, tag)
);
CREATE TABLE IF NOT EXISTS coders (
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS assignments (
    coder TEXT NOT NULL REFERENCES coders (name),
    paragraph_id TEXT NOT NULL REFERENCES paragraphs (id),
    PRIMARY KEY (coder, paragraph_id)
);
CREATE TABLE IF NOT EXISTS decisions (
    id {serial},
    coder TEXT NOT NULL REFERENCES coders (name),
    paragraph_id TEXT NOT NULL REFERENCES paragraphs (id),
    tag TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'add', 'clear', 'done')),
    time TEXT NOT NULL,
    model_version TEXT,
    score REAL,
    step TEXT NOT NULL,
    undoes TEXT
);
CREATE INDEX IF NOT EXISTS decisions_by_coder ON decisions (coder, paragraph_id, tag, id);
CREATE TABLE IF NOT EXISTS adjudicators (
    name TEXT PRIMARY KEY REFERENCES coders (name),
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS thresholds (
    model_version TEXT NOT NULL,
    tag TEXT NOT NULL,
    threshold REAL NOT NULL,
    PRIMARY KEY (model_version, tag)
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""
# Added after the first release; stores made before get it on opening (0 = a coder's own decision).
ADJUDICATED_COLUMN = "ALTER TABLE decisions ADD COLUMN adjudicated INTEGER NOT NULL DEFAULT 0"
SERIAL = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
          "postgresql": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"}


class StoreError(ValueError):
    """A request the store refuses; the message says why and what to do."""


@dataclass
class QueueItem:
    id: str
    doc_id: str
    para_id: str
    coded: bool


@dataclass
class Queue:
    items: list[QueueItem]
    coded: int
    assigned: int
    documents: list[str]
    order: str


@dataclass
class _Paragraph:
    id: str
    doc_id: str
    para_id: str
    section: str
    date: str | None
    text: str
    model_version: str | None
    suggestions: list[tuple[str, float]]


@dataclass
class ParagraphView(_Paragraph):
    """A paragraph as one coder sees it: suggestions and that coder's current state."""

    state: dict[str, str]
    coded: bool


@dataclass
class AdjudicationView(_Paragraph):
    """A paragraph as an adjudicator sees it: each coder's labels, the tags they disagree on,
    and the adjudicator's final decisions so far."""

    scores: dict[str, float]
    coders: dict[str, list[str]]
    disputed: list[str]
    state: dict[str, str]
    done: bool


@dataclass
class ImportSummary:
    documents: int
    new: int
    updated: int
    assigned: int


def resolve_url(db: str | Path | None) -> str:
    """The store's location: `db`, else $CASETAG_DB, else the default path."""
    return str(db or os.environ.get(DB_ENV) or DEFAULT_DB)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def infer_thresholds(suggestions: Sequence[Suggestion]) -> dict[str, dict[str, float]]:
    """Each model version's threshold per tag as its suggestions reveal it: midway between the
    highest score it left out and the lowest it suggested (that score alone when it suggested the
    tag everywhere; 0.5, or the highest score, when it never did)."""
    lowest_in: dict[tuple[str, str], float] = {}
    highest_out: dict[tuple[str, str], float] = {}
    for s in suggestions:
        version, suggested = s.model.get("version") or "", dict(s.tags)
        for tag, score in s.scores.items():
            key = (version, tag)
            if tag in suggested:
                lowest_in[key] = min(lowest_in.get(key, 1.0), score)
            else:
                highest_out[key] = max(highest_out.get(key, 0.0), score)
    out: dict[str, dict[str, float]] = {}
    for version, tag in set(lowest_in) | set(highest_out):
        lo, hi = highest_out.get((version, tag)), lowest_in.get((version, tag))
        th = hi if lo is None else max(0.5, lo) if hi is None else (lo + hi) / 2
        out.setdefault(version, {})[tag] = round(th, 4)
    return out


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def informative_order(paragraphs: Sequence[tuple[dict[str, float], dict[str, float]]]) -> list[int]:
    """Indexes of `paragraphs` ((scores, thresholds) each), most informative first.

    A paragraph tells the model most about a tag when its score sits near that tag's threshold
    (distance measured in log-odds, so tags with low thresholds compare fairly). To spread the
    queue across tags it is built in rounds: each tag offers its nearest paragraph not yet
    queued, and a round's offers join the queue nearest first. Paragraphs without scores go last.
    """
    ranked = {}
    for i, (scores, thresholds) in enumerate(paragraphs):
        for tag, score in scores.items():
            if tag in thresholds:
                ranked.setdefault(tag, []).append((abs(_logit(score) - _logit(thresholds[tag])), i))
    for near in ranked.values():
        near.sort()
    placed: dict[int, None] = {}
    cursor = dict.fromkeys(ranked, 0)
    while True:
        offers = []
        for tag, near in ranked.items():
            while cursor[tag] < len(near) and near[cursor[tag]][1] in placed:
                cursor[tag] += 1
            if cursor[tag] < len(near):
                offers.append(near[cursor[tag]])
        if not offers:
            break
        for _, i in sorted(offers):
            placed.setdefault(i)
    return [*placed, *(i for i in range(len(paragraphs)) if i not in placed)]


def confidence(s: Suggestion) -> float:
    """How sure the model is of its least sure call: a suggested tag's score, or 1 - the
    score of a tag it left out. Low values are the paragraphs worth reviewing first."""
    suggested = dict(s.tags)
    margins = [suggested[t] if t in suggested else 1 - v for t, v in s.scores.items()]
    margins += list(suggested.values())
    return min(margins, default=1.0)


class _Tx:
    """One write transaction: run statements with `?` placeholders."""

    def __init__(self, conn, postgres: bool):
        self.conn, self.postgres = conn, postgres

    def run(self, sql: str, params: Sequence = ()) -> list[tuple]:
        cur = self.conn.execute(sql.replace("?", "%s") if self.postgres else sql, params)
        return cur.fetchall() if cur.description else []

    def many(self, sql: str, rows: Iterable[Sequence]) -> None:
        rows = list(rows)
        if not rows:
            return
        if self.postgres:
            with self.conn.cursor() as cur:
                cur.executemany(sql.replace("?", "%s"), rows)
        else:
            self.conn.executemany(sql, rows)


class Store:
    """The label store at a path or PostgreSQL URL; one connection per thread."""

    def __init__(self, db: str | Path | None = None):
        self.url = resolve_url(db)
        self.postgres = self.url.startswith(("postgresql://", "postgres://"))
        self._local = threading.local()
        self._conns: list = []
        self._lock = threading.Lock()
        self._sqlite_writer = threading.Lock()
        ddl = SCHEMA.format(serial=SERIAL["postgresql" if self.postgres else "sqlite"])
        with self._write() as tx:
            for statement in filter(str.strip, ddl.split(";")):
                tx.run(statement)
            if "adjudicated" not in self._columns(tx, "decisions"):
                tx.run(ADJUDICATED_COLUMN)

    def _columns(self, tx: _Tx, table: str) -> set[str]:
        if self.postgres:
            return {r[0] for r in tx.run("SELECT column_name FROM information_schema.columns"
                                         " WHERE table_schema = current_schema() AND table_name = ?", (table,))}
        return {r[1] for r in tx.run(f"PRAGMA table_info({table})")}

    @property
    def where(self) -> str:
        """The location, fit to print: a URL's password is masked."""
        return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", self.url)

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self.postgres:
            import psycopg

            try:
                conn = psycopg.connect(self.url, autocommit=True)
            except psycopg.OperationalError as e:
                raise StoreError(f"cannot connect to {self.where}: {e}".strip()) from e
        else:
            path = Path(self.url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
        self._local.conn = conn
        with self._lock:
            self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()

    @contextmanager
    def _write(self) -> Iterator[_Tx]:
        conn = self._conn()
        if self.postgres:
            with conn.transaction():
                yield _Tx(conn, True)
            return
        with self._sqlite_writer:  # one writer per process; other processes wait on SQLite's lock
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(conn, False)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return _Tx(self._conn(), self.postgres).run(sql, params)

    # -- import and assignment

    def import_suggestions(self, suggestions: Sequence[Suggestion], *,
                           thresholds: dict[str, float] | None = None) -> tuple[int, int]:
        """Add or replace paragraphs and their suggestions; returns (new, updated).
        Decisions already made stay: each carries the model version and score it saw.
        The model's per-tag `thresholds` (from its model card) are kept for the informative
        order; without them they are inferred from the suggestions."""
        time = now()
        per_version = infer_thresholds(suggestions)
        if thresholds:
            per_version = {v: dict(thresholds) for v in per_version}
        with self._write() as tx:
            before = tx.run("SELECT COUNT(*) FROM paragraphs")[0][0]
            tx.many("INSERT INTO documents (id, imported) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                    [(d, time) for d in dict.fromkeys(s.unit.doc_id for s in suggestions)])
            tx.many(
                "INSERT INTO paragraphs (id, doc_id, para_id, section, section_kind, date, text, ord,"
                " model_version, scores, confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET doc_id = excluded.doc_id, para_id = excluded.para_id,"
                " section = excluded.section, section_kind = excluded.section_kind,"
                " date = excluded.date, text = excluded.text, ord = excluded.ord,"
                " model_version = excluded.model_version, scores = excluded.scores,"
                " confidence = excluded.confidence",
                [(u.id, u.doc_id, u.para_id, u.section, u.section_kind, u.date, u.text, u.order,
                  s.model.get("version"), json.dumps(s.scores), confidence(s))
                 for s in suggestions for u in [s.unit]])
            tx.many("DELETE FROM suggestions WHERE paragraph_id = ?", [(s.unit.id,) for s in suggestions])
            tx.many("INSERT INTO suggestions (paragraph_id, tag, score, model_version, rank)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [(s.unit.id, tag, score, s.model.get("version"), rank)
                     for s in suggestions for rank, (tag, score) in enumerate(s.tags)])
            tx.many("INSERT INTO thresholds (model_version, tag, threshold) VALUES (?, ?, ?) ON CONFLICT"
                    " (model_version, tag) DO UPDATE SET threshold = excluded.threshold",
                    [(v, tag, th) for v, ths in per_version.items() for tag, th in ths.items()])
            new = tx.run("SELECT COUNT(*) FROM paragraphs")[0][0] - before
        return new, len(suggestions) - new

    def assign(self, coders: Sequence[str], *, overlap: int = 1, doc_id: str | None = None) -> int:
        """Give every paragraph (of `doc_id`, or all) to `overlap` of `coders`, round robin
        in document order; returns how many assignments are new."""
        coders = list(dict.fromkeys(c.strip() for c in coders if c.strip()))
        if not coders:
            raise StoreError("name at least one coder, e.g. --coders alice,bob")
        if overlap < 1:
            raise StoreError(f"overlap is {overlap}: give each paragraph to 1 coder or more")
        if overlap > len(coders):
            raise StoreError(f"overlap {overlap} needs at least {overlap} coders, got {', '.join(coders)}")
        where, params = ("WHERE doc_id = ?", [doc_id]) if doc_id else ("", [])
        with self._write() as tx:
            ids = [r[0] for r in tx.run(f"SELECT id FROM paragraphs {where} ORDER BY doc_id, ord", params)]
            if doc_id and not ids:
                raise StoreError(f"no paragraphs of document {doc_id!r}: import its suggestions first")
            tx.many("INSERT INTO coders (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                    [(c, now()) for c in coders])
            before = tx.run("SELECT COUNT(*) FROM assignments")[0][0]
            tx.many("INSERT INTO assignments (coder, paragraph_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [(coders[(i + k) % len(coders)], pid)
                     for i, pid in enumerate(ids) for k in range(overlap)])
            return tx.run("SELECT COUNT(*) FROM assignments")[0][0] - before

    def add_adjudicators(self, names: Sequence[str]) -> list[str]:
        """Make `names` adjudicators (and coders, if they are not yet); returns all adjudicators."""
        names = [n.strip() for n in names if n.strip()]
        with self._write() as tx:
            tx.many("INSERT INTO coders (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                    [(n, now()) for n in names])
            tx.many("INSERT INTO adjudicators (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                    [(n, now()) for n in names])
        return self.adjudicators()

    def adjudicators(self) -> list[str]:
        return [r[0] for r in self._read("SELECT name FROM adjudicators ORDER BY name")]

    def set_default_order(self, order: str) -> None:
        """The queue order the page starts with (`casetag review import --order`)."""
        if order not in ORDERS:
            raise StoreError(f"order {order!r} is not one of {', '.join(ORDERS)}")
        with self._write() as tx:
            tx.run("INSERT INTO settings (key, value) VALUES ('order', ?)"
                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (order,))

    def default_order(self) -> str:
        rows = self._read("SELECT value FROM settings WHERE key = 'order'")
        return rows[0][0] if rows else "document"

    # -- decisions

    def decide(self, coder: str, paragraph_id: str, changes: Sequence[tuple[str, str]],
               *, taxonomy: Taxonomy, adjudicated: bool = False) -> str:
        """Append one step of `coder` on one paragraph: (tag, action) pairs, applied in
        order. Accepting a tag that was not suggested is stored as `add` and vice versa.
        `done` (tag "") needs every suggestion accepted or rejected. Returns the step id.

        With `adjudicated`, `coder` is an adjudicator and the step is the final decision on
        the paragraph, kept apart from anyone's coding; `done` then needs every tag the
        coders disagree on decided."""
        step, time = uuid.uuid4().hex, now()
        with self._write() as tx:
            para = (self._adjudicable if adjudicated else self._assigned)(tx, coder, paragraph_id)
            suggested = self._suggested(tx, paragraph_id)
            scores = json.loads(para[1])
            state = self._state(tx, coder, paragraph_id, adjudicated)
            required = self._disputed(tx, paragraph_id) if adjudicated else list(suggested)
            rows = []
            for tag, action in changes:
                if action not in ACTIONS:
                    raise StoreError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
                if (action == "done") != (tag == PARAGRAPH_TAG) and action != "clear":
                    raise StoreError(f"{paragraph_id}: {action!r} with tag {tag!r}: 'done' marks the whole "
                                     "paragraph (tag \"\"); the other actions name a tag")
                if tag != PARAGRAPH_TAG and tag not in taxonomy:
                    raise StoreError(f"unknown tag {tag!r}: see `casetag taxonomy` for the {len(taxonomy.ids)} tags")
                if action in ("accept", "add"):
                    action = "accept" if tag in suggested else "add"
                if action == "done":
                    open_tags = [t for t in required if state.get(t) not in ("accept", "reject", "add")]
                    if open_tags:
                        raise StoreError(f"{paragraph_id}: accept or reject {', '.join(open_tags)} first")
                state[tag] = action
                score = suggested.get(tag, scores.get(tag)) if tag else None
                rows.append((coder, paragraph_id, tag, action, time, para[0], score, step, int(adjudicated)))
            tx.many("INSERT INTO decisions (coder, paragraph_id, tag, action, time, model_version,"
                    " score, step, adjudicated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return step

    def undo(self, coder: str, *, adjudicated: bool = False) -> str | None:
        """Undo `coder`'s latest step (of coding, or of adjudicating) not yet undone by appending
        decisions that restore the state before it; returns its paragraph id, or None if there
        is nothing to undo."""
        flag = int(adjudicated)
        with self._write() as tx:
            last = tx.run("SELECT step FROM decisions WHERE coder = ? AND adjudicated = ? AND undoes IS NULL"
                          " AND step NOT IN (SELECT undoes FROM decisions WHERE coder = ? AND undoes IS NOT NULL)"
                          " ORDER BY id DESC LIMIT 1", (coder, flag, coder))
            if not last:
                return None
            step = last[0][0]
            undone = tx.run("SELECT id, paragraph_id, tag FROM decisions WHERE step = ? ORDER BY id", (step,))
            first_id, paragraph_id = undone[0][0], undone[0][1]
            rows, time = [], now()
            for tag in dict.fromkeys(r[2] for r in undone):
                prior = tx.run("SELECT action, model_version, score FROM decisions WHERE coder = ?"
                               " AND paragraph_id = ? AND tag = ? AND id < ? ORDER BY id DESC LIMIT 1",
                               (coder, paragraph_id, tag, first_id))
                action, version, score = prior[0] if prior else ("clear", None, None)
                rows.append((coder, paragraph_id, tag, action, time, version, score, uuid.uuid4().hex, step, flag))
            tx.many("INSERT INTO decisions (coder, paragraph_id, tag, action, time, model_version,"
                    " score, step, undoes, adjudicated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return paragraph_id

    def _assigned(self, tx: _Tx, coder: str, paragraph_id: str) -> tuple:
        rows = tx.run("SELECT p.model_version, p.scores FROM assignments a JOIN paragraphs p"
                      " ON p.id = a.paragraph_id WHERE a.coder = ? AND a.paragraph_id = ?",
                      (coder, paragraph_id))
        if not rows:
            raise StoreError(f"paragraph {paragraph_id!r} is not assigned to coder {coder!r}: "
                             "assign it with `casetag review assign`")
        return rows[0]

    def _adjudicable(self, tx: _Tx, coder: str, paragraph_id: str) -> tuple:
        if not tx.run("SELECT 1 FROM adjudicators WHERE name = ?", (coder,)):
            raise StoreError(f"{coder!r} is not an adjudicator: add one with "
                             f"`casetag review assign --adjudicator {coder}`")
        rows = tx.run("SELECT model_version, scores FROM paragraphs WHERE id = ?", (paragraph_id,))
        if not rows:
            raise StoreError(f"no paragraph {paragraph_id!r} in {self.where}")
        return rows[0]

    def _disputed(self, tx: _Tx, paragraph_id: str) -> list[str]:
        """The tags that coders who coded the paragraph disagree on."""
        labels = list(self._codings(tx, paragraph_id).get(paragraph_id, {}).values())
        union = sorted(set().union(*labels)) if labels else []
        return [t for t in union if not all(t in ls for ls in labels)]

    @staticmethod
    def _suggested(tx: _Tx, paragraph_id: str) -> dict[str, float]:
        return dict(tx.run("SELECT tag, score FROM suggestions WHERE paragraph_id = ? ORDER BY rank",
                           (paragraph_id,)))

    @staticmethod
    def _states(tx: _Tx, coder: str | None, paragraph_id: str | None = None,
                adjudicated: bool = False) -> dict[tuple[str, str, str], str]:
        """The current action per (coder, paragraph, tag) of `coder` (or everyone), of one
        paragraph or all, in coding or in adjudication; cleared ones left out."""
        where, params = ["adjudicated = ?"], [int(adjudicated)]
        for column, value in (("coder", coder), ("paragraph_id", paragraph_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        rows = tx.run("SELECT d.coder, d.paragraph_id, d.tag, d.action FROM decisions d JOIN"
                      f" (SELECT MAX(id) AS id FROM decisions WHERE {' AND '.join(where)}"
                      " GROUP BY coder, paragraph_id, tag) m ON d.id = m.id", params)
        return {(c, pid, tag): action for c, pid, tag, action in rows if action != "clear"}

    @classmethod
    def _state(cls, tx: _Tx, coder: str, paragraph_id: str, adjudicated: bool = False) -> dict[str, str]:
        """`coder`'s current action per tag of one paragraph."""
        return {tag: action for (_, _, tag), action in cls._states(tx, coder, paragraph_id, adjudicated).items()}

    def _codings(self, tx: _Tx, paragraph_id: str | None = None) -> dict[str, dict[str, set[str]]]:
        """Every coded paragraph (of one, or all): each coder's labels (accepted and added tags)."""
        state = self._states(tx, None, paragraph_id)
        where, params = ("WHERE paragraph_id = ?", (paragraph_id,)) if paragraph_id else ("", ())
        suggested: dict[str, list[str]] = {}
        for pid, tag in tx.run(f"SELECT paragraph_id, tag FROM suggestions {where}", params):
            suggested.setdefault(pid, []).append(tag)
        by: dict[tuple[str, str], dict[str, str]] = {}
        for (coder, pid, tag), action in state.items():
            by.setdefault((coder, pid), {})[tag] = action
        out: dict[str, dict[str, set[str]]] = {}
        for (coder, pid), tags in by.items():
            if tags.get(PARAGRAPH_TAG) == "done" and all(
                    tags.get(t) in ("accept", "reject") for t in suggested.get(pid, [])):
                out.setdefault(pid, {})[coder] = {t for t, a in tags.items() if a in ("accept", "add")}
        return out

    # -- what a coder sees

    def coders(self) -> list[str]:
        return [r[0] for r in self._read("SELECT name FROM coders ORDER BY name")]

    def queue(self, coder: str, *, order: str = "document", doc_id: str | None = None,
              tag: str | None = None, min_score: float | None = None,
              max_score: float | None = None, uncoded_only: bool = False) -> Queue:
        """`coder`'s assigned paragraphs, filtered and ordered, with progress over all of them.
        The tag and score filters keep paragraphs with a suggestion that matches both."""
        if order not in ORDERS:
            raise StoreError(f"order {order!r} is not one of {', '.join(ORDERS)}")
        tx = _Tx(self._conn(), self.postgres)
        where, params = ["a.coder = ?"], [coder]
        if doc_id:
            where.append("p.doc_id = ?")
            params.append(doc_id)
        match = [("s.tag = ?", tag), ("s.score >= ?", min_score), ("s.score <= ?", max_score)]
        match = [(cond, value) for cond, value in match if value not in (None, "")]
        if match:
            where.append("EXISTS (SELECT 1 FROM suggestions s WHERE s.paragraph_id = p.id AND "
                         + " AND ".join(c for c, _ in match) + ")")
            params += [v for _, v in match]
        by = "p.confidence, p.doc_id, p.ord" if order == "confidence" else "p.doc_id, p.ord"
        rows = tx.run("SELECT p.id, p.doc_id, p.para_id, p.scores, p.model_version FROM assignments a"
                      f" JOIN paragraphs p ON p.id = a.paragraph_id WHERE {' AND '.join(where)} ORDER BY {by}",
                      params)
        if order == "informative":
            thresholds: dict[str, dict[str, float]] = {}
            for version, tag, th in tx.run("SELECT model_version, tag, threshold FROM thresholds"):
                thresholds.setdefault(version, {})[tag] = th
            rows = [rows[i] for i in informative_order(
                [(json.loads(r[3]), thresholds.get(r[4] or "", {})) for r in rows])]
        coded, assigned = self._coded(tx, coder)
        items = [QueueItem(pid, doc, para, pid in coded) for pid, doc, para, *_ in rows]
        if uncoded_only:
            items = [i for i in items if not i.coded]
        documents = [r[0] for r in tx.run("SELECT DISTINCT p.doc_id FROM assignments a JOIN paragraphs p"
                                          " ON p.id = a.paragraph_id WHERE a.coder = ? ORDER BY p.doc_id",
                                          (coder,))]
        return Queue(items, len(coded), assigned, documents, order)

    def _coded(self, tx: _Tx, coder: str) -> tuple[set[str], int]:
        """The paragraphs `coder` has coded (done, every suggestion decided), and how many are assigned."""
        state = {(pid, tag): a for (_, pid, tag), a in self._states(tx, coder).items()}
        suggested: dict[str, list[str]] = {}
        for pid, tag in tx.run("SELECT s.paragraph_id, s.tag FROM suggestions s JOIN assignments a"
                               " ON a.paragraph_id = s.paragraph_id WHERE a.coder = ?", (coder,)):
            suggested.setdefault(pid, []).append(tag)
        assigned = [r[0] for r in tx.run("SELECT paragraph_id FROM assignments WHERE coder = ?", (coder,))]
        coded = {pid for pid in assigned if state.get((pid, PARAGRAPH_TAG)) == "done"
                 and all(state.get((pid, t)) in ("accept", "reject") for t in suggested.get(pid, []))}
        return coded, len(assigned)

    def paragraphs(self, coder: str, ids: Sequence[str]) -> list[ParagraphView]:
        """The paragraphs among `ids` assigned to `coder`, in the order of `ids`."""
        tx = _Tx(self._conn(), self.postgres)
        views = {}
        for pid in dict.fromkeys(ids):
            rows = tx.run("SELECT p.doc_id, p.para_id, p.section, p.date, p.text, p.model_version"
                          " FROM assignments a JOIN paragraphs p ON p.id = a.paragraph_id"
                          " WHERE a.coder = ? AND p.id = ?", (coder, pid))
            if not rows:
                continue
            suggested = self._suggested(tx, pid)
            state = self._state(tx, coder, pid)
            coded = state.get(PARAGRAPH_TAG) == "done" and all(
                state.get(t) in ("accept", "reject") for t in suggested)
            views[pid] = ParagraphView(pid, *rows[0], suggestions=list(suggested.items()),
                                       state=state, coded=coded)
        return list(views.values())

    # -- adjudication

    def codings(self) -> dict[str, dict[str, list[str]]]:
        """Every coded paragraph: each coder's labels (their own coding, not adjudication)."""
        tx = _Tx(self._conn(), self.postgres)
        return {pid: {c: sorted(ls) for c, ls in sorted(by.items())} for pid, by in self._codings(tx).items()}

    def adjudications(self) -> dict[str, dict[str, tuple[str, str]]]:
        """The final decisions: per paragraph, tag -> (action, adjudicator), the latest standing
        adjudicated decision on each tag ("" holds `done`)."""
        tx = _Tx(self._conn(), self.postgres)
        rows = tx.run("SELECT d.paragraph_id, d.tag, d.action, d.coder FROM decisions d JOIN"
                      " (SELECT MAX(id) AS id FROM decisions WHERE adjudicated = 1"
                      " GROUP BY coder, paragraph_id, tag) m ON d.id = m.id ORDER BY d.id")
        out: dict[str, dict[str, tuple[str, str]]] = {}
        for pid, tag, action, coder in rows:  # oldest first: a later adjudicator's decision wins
            if action != "clear":
                out.setdefault(pid, {})[tag] = (action, coder)
        return out

    def disputes(self, adjudicator: str) -> Queue:
        """Paragraphs coded by two coders or more who disagree (and any already adjudicated), in
        document order; `coded` counts those `adjudicator` has marked done."""
        if adjudicator not in self.adjudicators():
            raise StoreError(f"{adjudicator!r} is not an adjudicator: add one with "
                             f"`casetag review assign --adjudicator {adjudicator}`")
        tx = _Tx(self._conn(), self.postgres)
        codings = self._codings(tx)
        disputed = {pid for pid, by in codings.items() if len(by) >= 2 and len({frozenset(s) for s in by.values()}) > 1}
        mine = self._states(tx, adjudicator, adjudicated=True)
        disputed |= {pid for (_, pid, _) in mine}
        done = {pid for (_, pid, tag), a in mine.items() if tag == PARAGRAPH_TAG and a == "done"}
        rows = [r for r in tx.run("SELECT id, doc_id, para_id FROM paragraphs ORDER BY doc_id, ord")
                if r[0] in disputed]
        items = [QueueItem(pid, doc, para, pid in done) for pid, doc, para in rows]
        return Queue(items, sum(i.coded for i in items), len(items),
                     list(dict.fromkeys(i.doc_id for i in items)), "document")

    def adjudication_views(self, adjudicator: str, ids: Sequence[str]) -> list[AdjudicationView]:
        """The paragraphs among `ids`, with each coder's labels and `adjudicator`'s decisions."""
        tx = _Tx(self._conn(), self.postgres)
        views = []
        for pid in dict.fromkeys(ids):
            rows = tx.run("SELECT doc_id, para_id, section, date, text, model_version, scores"
                          " FROM paragraphs WHERE id = ?", (pid,))
            if not rows:
                continue
            *head, scores = rows[0]
            state = self._state(tx, adjudicator, pid, adjudicated=True)
            coders = {c: sorted(ls) for c, ls in sorted(self._codings(tx, pid).get(pid, {}).items())}
            disputed = self._disputed(tx, pid)
            done = state.get(PARAGRAPH_TAG) == "done" and all(
                state.get(t) in ("accept", "reject", "add") for t in disputed)
            views.append(AdjudicationView(pid, *head, suggestions=list(self._suggested(tx, pid).items()),
                                          scores=json.loads(scores), coders=coders, disputed=disputed,
                                          state=state, done=done))
        return views

    def units(self, ids: Sequence[str]) -> dict[str, Unit]:
        """The paragraphs among `ids` that are in the store, as units."""
        tx = _Tx(self._conn(), self.postgres)
        out = {}
        for pid in dict.fromkeys(ids):
            for row in tx.run("SELECT id, doc_id, para_id, section, section_kind, date, text, ord"
                              " FROM paragraphs WHERE id = ?", (pid,)):
                out[pid] = Unit(*row)
        return out

    # -- export

    def decisions(self, coder: str | None = None) -> Iterator[Decision]:
        """Every decision in the order made (of one coder, or all)."""
        where, params = ("WHERE coder = ?", (coder,)) if coder else ("", ())
        for *row, adjudicated in self._read("SELECT coder, paragraph_id, tag, action, time, model_version,"
                                            f" score, adjudicated FROM decisions {where} ORDER BY id", params):
            yield Decision(*row, adjudicated=bool(adjudicated))

    def labelled(self, coder: str) -> Iterator[LabelledParagraph]:
        """`coder`'s coded paragraphs in document order with their current labels: accepted
        suggestions and added tags (none is a real label)."""
        tx = _Tx(self._conn(), self.postgres)
        coded, _ = self._coded(tx, coder)
        state = {(pid, tag): a for (_, pid, tag), a in self._states(tx, coder).items()}
        rows = tx.run("SELECT p.id, p.doc_id, p.para_id, p.section, p.text FROM assignments a"
                      " JOIN paragraphs p ON p.id = a.paragraph_id WHERE a.coder = ?"
                      " ORDER BY p.doc_id, p.ord", (coder,))
        for pid, doc_id, para_id, section, text in rows:
            if pid in coded:
                labels = sorted(t for (p, t), a in state.items() if p == pid and a in ("accept", "add"))
                yield LabelledParagraph(pid, doc_id, para_id, section, text, labels,
                                        source="review", extra={"coder": coder})


def read_suggestions(path: Path | str, taxonomy: Taxonomy) -> list[Suggestion]:
    """Read a suggestions file, refusing it whole if a line is malformed or names an
    unknown tag (the message lists the lines)."""
    items, errors, seen = [], [], set()
    for item in iter_jsonl(path, Suggestion):
        if isinstance(item, LineError):
            errors.append(str(item))
        elif item.unit.id in seen:
            errors.append(f"{path}: paragraph {item.unit.id} appears twice: keep one line per paragraph")
        elif unknown := taxonomy.unknown([t for t, _ in item.tags]):
            errors.append(f"{path}: {item.unit.id}: tags not in taxonomy {taxonomy.version}: "
                          f"{', '.join(unknown)}")
        else:
            seen.add(item.unit.id)
            items.append(item)
    if errors:
        more = f"\n... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise StoreError(f"{len(errors)} bad line(s), nothing imported:\n" + "\n".join(errors[:10]) + more)
    return items


def import_file(store: Store, path: Path | str, *, taxonomy: Taxonomy, coders: Sequence[str] = (),
                overlap: int = 1, thresholds: dict[str, float] | None = None,
                order: str | None = None) -> ImportSummary:
    """Import a suggestions file and, when `coders` are named, assign its documents. `thresholds`
    are the model's (else inferred); `order` becomes the page's starting queue order."""
    suggestions = read_suggestions(path, taxonomy)
    if order:
        store.set_default_order(order)
    new, updated = store.import_suggestions(suggestions, thresholds=thresholds)
    docs = list(dict.fromkeys(s.unit.doc_id for s in suggestions))
    assigned = sum(store.assign(coders, overlap=overlap, doc_id=d) for d in docs) if coders else 0
    return ImportSummary(len(docs), new, updated, assigned)
