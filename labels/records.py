"""The four records of casetag (design.md) and JSON Lines reading and writing.

Every stage speaks in these types; input is validated once, where a record is read.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable, Iterator, TypeVar

SECTION_KINDS = ("chronology", "background", "analysis", "conclusions", "recommendations", "other")


class RecordError(ValueError):
    """A record that does not match its schema; the message names the field."""


def _require(data: dict, name: str, kind: type | tuple[type, ...], allow_none: bool = False) -> Any:
    if name not in data:
        raise RecordError(f"missing field {name!r}")
    value = data[name]
    if value is None and allow_none:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise RecordError(f"field {name!r} should be {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


@dataclass
class Unit:
    """A numbered paragraph of a review document."""

    id: str
    doc_id: str
    para_id: str
    section: str
    section_kind: str
    date: str | None
    text: str
    order: int

    @classmethod
    def from_json(cls, data: dict) -> "Unit":
        kind = _require(data, "section_kind", str)
        if kind not in SECTION_KINDS:
            raise RecordError(f"section_kind {kind!r} is not one of {', '.join(SECTION_KINDS)}")
        text = _require(data, "text", str)
        if not text.strip():
            raise RecordError("field 'text' is empty")
        return cls(
            id=_require(data, "id", str), doc_id=_require(data, "doc_id", str),
            para_id=_require(data, "para_id", str), section=_require(data, "section", str),
            section_kind=kind, date=_require(data, "date", str, allow_none=True),
            text=text, order=_require(data, "order", int),
        )

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Suggestion:
    """A unit with the model's tags over threshold (highest first) and every tag's score."""

    unit: Unit
    tags: list[tuple[str, float]]
    scores: dict[str, float]
    model: dict[str, str]

    @classmethod
    def from_json(cls, data: dict) -> "Suggestion":
        tags = [(t["tag"], float(t["score"])) for t in _require(data, "tags", list)]
        return cls(
            unit=Unit.from_json(data), tags=tags,
            scores={k: float(v) for k, v in _require(data, "scores", dict).items()},
            model=dict(_require(data, "model", dict)),
        )

    def to_json(self) -> dict:
        return {
            **self.unit.to_json(),
            "tags": [{"tag": t, "score": round(s, 4)} for t, s in self.tags],
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "model": self.model,
        }


@dataclass
class LabelledParagraph:
    """A coded paragraph: training data and reconciled export. Empty `labels` means coded, no tag."""

    id: str
    doc_id: str
    para_id: str
    section: str
    text: str
    labels: list[str]
    source: str
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> "LabelledParagraph":
        text = _require(data, "text", str)
        if not text.strip():
            raise RecordError("field 'text' is empty")
        labels = _require(data, "labels", list)
        if not all(isinstance(x, str) for x in labels):
            raise RecordError(f"field 'labels' should hold tag ids, got {labels!r}")
        known = {f.name for f in fields(cls)}
        return cls(
            id=_require(data, "id", str), doc_id=_require(data, "doc_id", str),
            para_id=str(_require(data, "para_id", (str, int))),
            section=_require(data, "section", str), text=text, labels=list(labels),
            source=str(data.get("source", "")),
            extra={k: v for k, v in data.items() if k not in known},
        )

    def to_json(self) -> dict:
        out = asdict(self)
        return {**{k: v for k, v in out.items() if k != "extra"}, **self.extra}


ACTIONS = ("accept", "reject", "add", "clear", "done")
PARAGRAPH_TAG = ""  # the `tag` of a paragraph-level decision ("done")


@dataclass
class Decision:
    """One coder's decision on one tag of one paragraph; appended, never overwritten.

    The latest decision per (coder, paragraph, tag) is the current state: `accept` and
    `add` put the tag in the labels, `reject` keeps it out, `clear` withdraws the earlier
    decision (an undo back to undecided). `done` with tag "" marks the paragraph coded.
    `adjudicated` marks an adjudicator's final decision, kept apart from the coders' own.
    """

    coder: str
    paragraph_id: str
    tag: str
    action: str
    time: str
    model_version: str | None = None
    score: float | None = None
    adjudicated: bool = False

    @classmethod
    def from_json(cls, data: dict) -> "Decision":
        action = _require(data, "action", str)
        if action not in ACTIONS:
            raise RecordError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
        score = data.get("score")
        return cls(
            coder=_require(data, "coder", str), paragraph_id=_require(data, "paragraph_id", str),
            tag=_require(data, "tag", str), action=action, time=_require(data, "time", str),
            model_version=data.get("model_version"), score=None if score is None else float(score),
            adjudicated=bool(data.get("adjudicated", False)),
        )

    def to_json(self) -> dict:
        return asdict(self)


R = TypeVar("R", Unit, Suggestion, LabelledParagraph, Decision)


@dataclass
class LineError:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def iter_jsonl(path: Path | str, record: type[R]) -> Iterator[R | LineError]:
    """Yield each line of a JSON Lines file as a `record`, or a LineError naming the line."""
    path = Path(path)
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise RecordError("a line must hold one JSON object")
                yield record.from_json(data)
            except (json.JSONDecodeError, RecordError, KeyError, TypeError, ValueError) as e:
                yield LineError(path, n, str(e))


def read_jsonl(path: Path | str, record: type[R]) -> list[R]:
    """Read a whole JSON Lines file; raise RecordError listing the first bad lines."""
    items, errors = [], []
    for item in iter_jsonl(path, record):
        (errors if isinstance(item, LineError) else items).append(item)
    if errors:
        shown = "\n".join(str(e) for e in errors[:10])
        more = f"\n... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise RecordError(f"{len(errors)} malformed line(s):\n{shown}{more}")
    return items


def write_jsonl(path: Path | str, records: Iterable) -> int:
    """Write records (with to_json) as JSON Lines; returns the count."""
    n = 0
    with Path(path).open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
            n += 1
    return n
