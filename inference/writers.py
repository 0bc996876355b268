"""Write suggestions as JSON Lines, CSV or Parquet; streamed, resumable, whole records only."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Iterable, Protocol

from labels.records import Suggestion

FORMATS = ("jsonl", "csv", "parquet")
UNIT_COLUMNS = ("id", "doc_id", "para_id", "section", "section_kind", "date", "order", "text")


class OutputError(ValueError):
    """An output file that cannot be written or resumed."""


def output_format(path: Path, fmt: str | None) -> str:
    """The format asked for, or the one the file name says (.jsonl, .csv, .parquet)."""
    fmt = fmt or {".csv": "csv", ".parquet": "parquet"}.get(path.suffix.lower(), "jsonl")
    if fmt not in FORMATS:
        raise OutputError(f"{path}: unknown format {fmt!r} (use one of {', '.join(FORMATS)})")
    return fmt


def flat_row(s: Suggestion, tags: list[str]) -> dict:
    """One spreadsheet row: the unit, the suggested tags as `tag:score; ...`, a score per tag."""
    unit = s.unit.to_json()
    return {**{c: unit[c] for c in UNIT_COLUMNS},
            "tags": "; ".join(f"{t}:{score:.3f}" for t, score in s.tags),
            "model": f"{s.model.get('name')}@{s.model.get('version')}",
            **{f"score_{t}": round(s.scores[t], 4) for t in tags}}


def _whole_lines(path: Path) -> bytes:
    """The file's content up to its last newline, cutting a record an interruption left half-written."""
    data = path.read_bytes()
    whole = data[: data.rfind(b"\n") + 1]
    if len(whole) != len(data):
        path.write_bytes(whole)
    return whole


def done_ids(path: Path, fmt: str) -> set[str]:
    """Ids of the records already in an output file (for --resume)."""
    if not path.exists():
        return set()
    if fmt == "parquet":
        raise OutputError(f"{path}: --resume needs a .jsonl or .csv output (a Parquet file is "
                          "written whole at the end)")
    text = _whole_lines(path).decode("utf-8")
    if fmt == "jsonl":
        return {json.loads(line)["id"] for line in text.splitlines() if line.strip()}
    return {row["id"] for row in csv.DictReader(io.StringIO(text))}


class Writer(Protocol):
    def write(self, suggestions: list[Suggestion]) -> None: ...
    def close(self) -> None: ...


class JsonlWriter:
    def __init__(self, path: Path, append: bool):
        self.f = path.open("a" if append else "w", encoding="utf-8")

    def write(self, suggestions: list[Suggestion]) -> None:
        # One write and a flush per batch: an interruption leaves whole records behind.
        self.f.write("".join(json.dumps(s.to_json(), ensure_ascii=False) + "\n" for s in suggestions))
        self.f.flush()

    def close(self) -> None:
        self.f.close()


class CsvWriter:
    def __init__(self, path: Path, append: bool, tags: list[str]):
        self.tags = tags
        fresh = not append or not path.exists() or path.stat().st_size == 0
        self.f = path.open("a" if append else "w", encoding="utf-8", newline="")
        self.columns = [*UNIT_COLUMNS, "tags", "model", *(f"score_{t}" for t in tags)]
        if fresh:
            self._emit([dict(zip(self.columns, self.columns))])

    def _emit(self, rows: Iterable[dict]) -> None:
        buf = io.StringIO()
        csv.DictWriter(buf, self.columns).writerows(rows)
        self.f.write(buf.getvalue())
        self.f.flush()

    def write(self, suggestions: list[Suggestion]) -> None:
        self._emit(flat_row(s, self.tags) for s in suggestions)

    def close(self) -> None:
        self.f.close()


class ParquetWriter:
    """Rows gathered and written at close, to a temporary name first: never a half file."""

    def __init__(self, path: Path, tags: list[str]):
        self.path, self.tags, self.rows = path, tags, []

    def write(self, suggestions: list[Suggestion]) -> None:
        self.rows.extend(flat_row(s, self.tags) for s in suggestions)

    def close(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        tmp = self.path.with_name(self.path.name + ".tmp")
        pq.write_table(pa.Table.from_pylist(self.rows), tmp)
        tmp.replace(self.path)


def open_writer(path: Path, fmt: str, tags: list[str], *, append: bool) -> Writer:
    if fmt == "jsonl":
        return JsonlWriter(path, append)
    if fmt == "csv":
        return CsvWriter(path, append, tags)
    return ParquetWriter(path, tags)
