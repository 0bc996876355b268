"""Split a document's blocks into numbered paragraph units with section, kind and date.

Numbered paragraphs ("3.1.12 ...") are the units when the report numbers them; otherwise
each block of prose is a unit, numbered within its section. Headings set the section,
bullet lines join the paragraph that introduces them, tables are left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from inference.dates import chronology_date, find_date, heading_year
from inference.ingest import Block, Document
from inference.sections import section_kind
from labels.records import Unit

_NUMBERED = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,3})+|\d{1,3}\.)(?=\s|$)\.?\s*(?P<rest>.*)$")
_BULLET = re.compile(r"^(?:[·•▪●◦‣∙\-–—*o](?=\s)|\(?[a-z]\)|\(?[ivx]{1,4}\))\s*")
_APPENDIX = re.compile(r"^(appendix|annex)\s+([A-Z0-9]{1,3})\b", re.I)
_CAPTION = re.compile(r"^(table|figure|chart|graph|diagram|image)\s+\d+[.:]", re.I)
_YEARS = re.compile(r"^(?:19|20)\d\d(?:\s*[-–/]\s*(?:19|20)?\d\d)?$")


@dataclass
class _Heading:
    text: str
    key: str  # short key for running paragraph numbers ("3", "5.3", "A4", "s7")


def _short(text: str, words: int) -> bool:
    return len(text.split()) <= words


def _is_numbered_heading(num: str, rest: str) -> bool:
    depth = num.rstrip(".").count(".") + 1
    if not rest[:1].isupper() or rest.endswith((".", ";", ",")):
        return False
    if depth == 1:
        return _short(rest, 10) and not rest.endswith(":")
    if depth == 2:
        return _short(rest, 15)
    return _short(rest, 8) and "," not in rest and not re.search(r"\d", rest) and not rest.endswith(":")


def _is_plain_heading(text: str) -> bool:
    """A short unnumbered line without closing punctuation: a heading, not prose."""
    return (_short(text, 12) and (text[:1].isupper() or text[:1].isdigit())
            and not text.endswith((".", ";", ",", ":", "?", "!", "”", '"')) and not _BULLET.match(text))


def segment(doc: Document) -> list[Unit]:
    """Paragraph units of a document, in order, with stable ids `doc_id:para_id`."""
    blocks = [b for b in doc.blocks if not b.table]
    numbered_doc = sum(1 for b in blocks if _paragraph_number(b)) >= 3
    has_main = any(_main_heading(b) for b in blocks)
    units: list[Unit] = []
    seen_ids: set[str] = set()
    top = main = minor = None  # the level-1 heading, the section heading, the last minor heading
    sections = 0
    running = 0  # paragraph count within the current section, for unnumbered paragraphs
    current: Unit | None = None  # the unit bullets and continuation lines join
    year: int | None = None
    last_date: str | None = None

    def kind() -> str:
        for h in (main, top, minor):
            if h and (k := section_kind(h.text)) != "other":
                return k
        return "other"

    def start(para_id: str, text: str) -> Unit:
        nonlocal current, year, last_date
        if para_id in seen_ids:
            para_id = f"{main.key if main else 's0'}.{para_id}"
        n = 2
        while para_id in seen_ids:
            para_id, n = f"{para_id.rsplit('~', 1)[0]}~{n}", n + 1
        seen_ids.add(para_id)
        unit = Unit(id=f"{doc.doc_id}:{para_id}", doc_id=doc.doc_id, para_id=para_id,
                    section=main.text if main else (minor.text if minor else ""),
                    section_kind=kind(), date=None, text=text, order=len(units))
        units.append(unit)
        current = unit
        return unit

    for block in blocks:
        text = block.text.strip()
        if _NUMBERED.match(text) and not _NUMBERED.match(text)["rest"].strip():
            continue  # a bare list number left by the source
        if _CAPTION.match(text):
            current = None  # a table or figure follows; the caption is not prose
            continue
        number = _paragraph_number(block)
        heading = _main_heading(block)
        if heading and main and main.key.startswith("A") and not heading.key.startswith("A"):
            heading = None  # numbered headings inside an appendix are its sub-headings
            minor, current = _Heading(text, ""), None
            continue
        if heading is None and not number and (block.heading == 2 or _is_plain_heading(text)):
            heading = _Heading(text, "") if not has_main else None
            if heading is None:  # a minor heading: a year, a person, an agency ...
                minor, current = _Heading(text, ""), None
                if (y := heading_year(text)) and _YEARS.match(text):
                    year, last_date = y, str(y)
                continue
        if heading is not None:
            sections += 1
            heading.key = heading.key or f"s{sections}"
            if _NUMBERED.match(text) and "." not in _NUMBERED.match(text)["num"].rstrip("."):
                top = heading
            elif not _NUMBERED.match(text):
                top = None
            main, minor, current, running = heading, None, None, 0
            year, last_date = None, None
            continue
        if number:
            unit = start(number[0], number[1])
        elif _BULLET.match(text) and current is not None:
            current.text += "\n" + text
            continue
        elif numbered_doc and current is not None and current.para_id[:1].isdigit() and not block.gap:
            current.text += "\n" + text
            continue
        else:
            running += 1
            unit = start(f"{main.key if main else 's0'}.p{running}", text)
        if unit.section_kind == "chronology":
            # A chronology paragraph's events start on the date its first sentence gives,
            # else continue from the paragraph before ("At 14.38 ...", "The next day ...").
            own = chronology_date(unit.text, running=last_date, context_year=year)
            last_date = own
            if own:
                year = int(own[:4])
        else:
            own = find_date(unit.text)
        unit.date = own
    return units


def _paragraph_number(block: Block) -> tuple[str, str] | None:
    """(number, text) of a numbered paragraph that is not a heading."""
    if block.heading or not (m := _NUMBERED.match(block.text.strip())):
        return None
    rest = m["rest"].strip()
    if not rest or _is_numbered_heading(m["num"], rest):
        return None
    return m["num"].rstrip("."), rest


def _main_heading(block: Block) -> _Heading | None:
    """A section heading: numbered ("3. Chronology", "5.3 Analysis"), an appendix, or styled."""
    text = block.text.strip()
    if m := _NUMBERED.match(text):
        rest = m["rest"].strip()
        if rest and (block.heading or _is_numbered_heading(m["num"], rest)):
            return _Heading(f"{m['num']} {rest}" if m["num"].endswith(".") else f"{m['num']} {rest}",
                            m["num"].rstrip("."))
        return None
    if (m := _APPENDIX.match(text)) and _short(text, 15):
        return _Heading(text, f"A{m.group(2)}")
    if block.heading == 1:
        return _Heading(text, "")
    return None
