"""Find the date a paragraph's events start on: full dates, month-year, year alone."""
from __future__ import annotations

import datetime as dt
import re

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"], 1)}
_MONTH = (r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?")
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)\b"

# Ordered by precision; each finds the first match in the text and the earliest match wins.
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}", re.I)
_NUMERIC = re.compile(r"\b(?P<day>[0-3]?\d)[/.](?P<month>[01]?\d)[/.](?P<year>(?:19|20)\d\d)\b")
_DAY_MONTH = re.compile(rf"\b(?:on|from|by|until|the)\s+(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?!,?\s+(?:19|20)\d\d)", re.I)
_MONTH_YEAR = re.compile(rf"(?<!\d\s){_MONTH}(?:,|\s+of)?\s+{_YEAR}", re.I)
_YEAR_ONLY = re.compile(
    rf"\b(?:in|during|by|since|from|throughout|early|late|mid-?|summer|spring|autumn|winter|of)\s+(?:the\s+year\s+)?{_YEAR}",
    re.I)
_NEXT_DAY = re.compile(r"^\s*(?:the\s+)?(?:next|following)\s+day\b", re.I)


def _month(name: str) -> int:
    name = name.lower().rstrip(".")
    return next(i for m, i in MONTHS.items() if m.startswith(name[:3]))


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z“\"(])")


def first_sentence(text: str) -> str:
    m = _SENTENCE_END.search(text)
    return text[: m.end()] if m else text


def find_date(text: str, *, context_year: int | None = None) -> str | None:
    """The first date the text gives, as ISO (`YYYY-MM-DD`, `YYYY-MM` or `YYYY`), else None.

    A day and month without a year ("On the 18th October") take `context_year`.
    """
    found = _find(text, context_year)
    return found[1] if found else None


def chronology_date(text: str, *, running: str | None, context_year: int | None) -> str | None:
    """The date a chronology paragraph's events start on.

    The date its first sentence gives, unless that date lies before the running date and is
    not where the sentence starts (a look back: "from the incident on 3rd December 2018");
    "The next day" after a full date is that date plus one; otherwise the running date.
    """
    found = _find(first_sentence(text), context_year)
    if found:
        pos, iso = found
        if running is None or pos < 40 or iso[: len(running)] >= running[: len(iso)]:
            return iso
    return next_day(text, running) or running


def _find(text: str, context_year: int | None) -> tuple[int, str] | None:
    found: list[tuple[int, str]] = []
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        if m := pattern.search(text):
            iso = _iso(int(m["year"]), _month(m["month"]), int(m["day"]))
            if iso:
                found.append((m.start(), iso))
    if m := _NUMERIC.search(text):
        if iso := _iso(int(m["year"]), int(m["month"]), int(m["day"])):
            found.append((m.start(), iso))
    if context_year and (m := _DAY_MONTH.search(text)):
        if iso := _iso(context_year, _month(m["month"]), int(m["day"])):
            found.append((m.start("day"), iso))
    if m := _MONTH_YEAR.search(text):
        found.append((m.start(), _iso(int(m["year"]), _month(m["month"]))))
    if m := _YEAR_ONLY.search(text):
        found.append((m.start("year"), _iso(int(m["year"]))))
    if not found:
        return None
    first = min(p for p, _ in found)
    # Several patterns can start at the same place: the most precise (longest ISO) wins.
    return first, max((iso for p, iso in found if p == first), key=len)


def next_day(text: str, previous: str | None) -> str | None:
    """"The next day ..." after a full date gives that date plus one, else None."""
    if previous and len(previous) == 10 and _NEXT_DAY.search(text):
        return (dt.date.fromisoformat(previous) + dt.timedelta(days=1)).isoformat()
    return None


def heading_year(heading: str) -> int | None:
    """The year a chronology heading opens ("2014", "2009 - 2013", "January 2016"), if any."""
    m = re.match(rf"^\s*(?:{_MONTH}\s+)?{_YEAR}", heading, re.I)
    return int(m["year"]) if m else None
