"""Reconciled labels: one label set per paragraph from several coders and an adjudicator.

Per paragraph and tag: the adjudicator's final decision, else the coders' unanimous value, else
the majority's. A tie on any tag of a paragraph the adjudicator has not decided leaves the whole
paragraph out (listed as unresolved): half a label set would teach the model a wrong "no".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from labels.records import PARAGRAPH_TAG, LabelledParagraph
from labels.store import Store

SOURCE = "reconciled"


@dataclass
class Unresolved:
    """A paragraph left out: the tags its coders split evenly on, and what each coder gave."""

    id: str
    tied: list[str]
    coders: dict[str, list[str]]


@dataclass
class Reconciled:
    records: list[LabelledParagraph]
    unresolved: list[Unresolved]
    decided_by: dict[str, int] = field(default_factory=dict)  # tag decisions per rule


def reconcile_paragraph(coders: Mapping[str, Sequence[str]],
                        final: Mapping[str, str]) -> tuple[list[str], dict[str, str], list[str]]:
    """One paragraph's (labels, how each tag anyone gave was decided, tied tags) from each coder's
    labels and the adjudicator's final action per tag (accept/add = yes, reject = no)."""
    labels, how, tied = [], {}, []
    given = {t for ls in coders.values() for t in ls} | {t for t in final if t != PARAGRAPH_TAG}
    for tag in sorted(given):
        votes, n = sum(tag in ls for ls in coders.values()), len(coders)
        if tag in final:
            yes, how[tag] = final[tag] in ("accept", "add"), "adjudicated"
        elif votes in (0, n):
            yes, how[tag] = votes == n, "unanimous"
        elif 2 * votes != n:
            yes, how[tag] = 2 * votes > n, "majority"
        else:
            tied.append(tag)
            continue
        if yes:
            labels.append(tag)
    return labels, how, tied


def reconcile(store: Store, *, min_coders: int = 1) -> Reconciled:
    """Reconcile every paragraph coded by at least `min_coders` coders in `store`."""
    codings = {pid: by for pid, by in store.codings().items() if len(by) >= min_coders}
    finals = store.adjudications()
    versions: dict[str, set[str]] = {}
    for d in store.decisions():
        if d.model_version:
            versions.setdefault(d.paragraph_id, set()).add(d.model_version)
    units = store.units(list(codings))
    records, unresolved, decided_by = [], [], {}
    for u in sorted(units.values(), key=lambda u: (u.doc_id, u.order)):
        coders = codings[u.id]
        final = {t: action for t, (action, _) in finals.get(u.id, {}).items()}
        labels, how, tied = reconcile_paragraph(coders, final)
        if tied:
            unresolved.append(Unresolved(u.id, tied, coders))
            continue
        for rule in how.values():
            decided_by[rule] = decided_by.get(rule, 0) + 1
        provenance = {"coders": sorted(coders),
                      "adjudicators": sorted({who for t, (_, who) in finals.get(u.id, {}).items()
                                              if how.get(t) == "adjudicated"}),
                      "model_versions": sorted(versions.get(u.id, ())), "decided": how}
        records.append(LabelledParagraph(u.id, u.doc_id, u.para_id, u.section, u.text, labels, source=SOURCE,
                                         extra={"section_kind": u.section_kind, "provenance": provenance}))
    return Reconciled(records, unresolved, decided_by)
