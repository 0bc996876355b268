"""Classify a review's section headings into the six section kinds of design.md."""
from __future__ import annotations

import re

# First match wins; order matters ("Conclusions and Lessons" before "Analysis").
_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("chronology", re.compile(r"chronolog|timeline|sequence of events|key events|agency contact", re.I)),
    ("recommendations", re.compile(r"recommendation|action plan", re.I)),
    ("conclusions", re.compile(r"conclusion|lessons? (to be )?learn|learning from|summary of findings|"
                               r"key findings", re.I)),
    ("analysis", re.compile(r"analysis|findings|discussion|responding to the terms of reference|"
                            r"good practice|practice (issues|problems)|overview\s*$|themes?\b|appraisal", re.I)),
    ("background", re.compile(r"background|the facts|the homicide|the incident|pen portrait|"
                              r"family|history|circumstances|introduction to the case|case summary", re.I)),
)


def section_kind(heading: str) -> str:
    """Map a section heading ("3. Chronology", "Appendix 4: ...") to a section kind."""
    text = re.sub(r"^\s*(appendix\s+)?[\dA-Z]+(\.\d+)*[.:)]?\s+", "", heading, flags=re.I)
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(text):
            return kind
    return "other"
