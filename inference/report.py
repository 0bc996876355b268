"""Per-review report: a template sheet, a timeline of risk indicators and the tagged
paragraphs, as one self-contained HTML file (and the sheet as CSV).

Input is a review document (segmented and pre-labelled here), a suggestions file or a
labelled/reconciled file; `labels` overlays coders' labels on suggestions, so confirmed
tags show apart from model-only ones. Every piece of document text is escaped.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Callable, TypeVar

from inference.dates import find_date
from inference.onnx_model import DEFAULT_MODEL, ModelFolderError, OnnxTagger
from inference.prelabel import prelabel
from inference.sections import section_kind
from inference.segment_cli import segment_documents
from labels.records import SECTION_KINDS, LabelledParagraph, LineError, Suggestion, Unit, iter_jsonl
from labels.taxonomy import Taxonomy

CONFIRMED, SUGGESTED, REJECTED = "confirmed", "suggested", "rejected"
GROUP_COLOURS = ("#0f766e", "#b42318", "#4338ca", "#a15c07", "#6b21a8", "#475467")
_ISO_DATE = re.compile(r"^\d{4}(-\d\d(-\d\d)?)?$")
T = TypeVar("T")


class ReportError(ValueError):
    """Input a report cannot be made from; the message names the file and the way out."""


@dataclass(frozen=True)
class TagMark:
    """One tag on one paragraph: `confirmed` by a coder, `suggested` by the model, or a
    suggestion the coders `rejected` (shown, never counted)."""

    tag: str
    score: float | None
    status: str


@dataclass
class ReportParagraph:
    unit: Unit
    marks: list[TagMark]

    @property
    def counted(self) -> list[TagMark]:
        return [m for m in self.marks if m.status != REJECTED]


@dataclass
class Review:
    """One document's paragraphs in order, with where its tags came from."""

    doc_id: str
    source: str
    models: list[str]
    taxonomy: str
    labels: str | None
    paragraphs: list[ReportParagraph]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Evidence:
    para_id: str
    score: float | None
    confirmed: bool


@dataclass
class SheetRow:
    """One tag of the template sheet; dates are the first and last on the timeline."""

    group: str
    tag: str
    name: str
    paragraphs: int
    confirmed: int
    highest_score: float | None
    first_date: str | None
    last_date: str | None
    evidence: list[Evidence]


# --- reading the input -------------------------------------------------------------------

def load_review(source: Path, *, taxonomy: Taxonomy, doc: str | None = None, labels: Path | None = None,
                model: Path = DEFAULT_MODEL) -> Review:
    """Read a document (segmented and pre-labelled with `model`), a suggestions file or a
    labelled file, keep document `doc`, and overlay the labelled paragraphs in `labels`."""
    if not source.is_file():
        raise ReportError(f"{source}: no such file")
    overlay = None
    if labels is not None:
        if not labels.is_file():
            raise ReportError(f"{labels}: no such file (--labels)")
        if _jsonl_kind(labels) is not LabelledParagraph:
            raise ReportError(f"{labels} holds suggestions, not labels: give --labels a reconciled or "
                              "`casetag review export` file")
        overlay = _read(labels, LabelledParagraph, lambda r: (r.id, r.labels), taxonomy)
    kind = _jsonl_kind(source) if source.suffix.lower() == ".jsonl" else None
    if kind is LabelledParagraph:
        if overlay is not None:
            raise ReportError(f"{source} already holds labels: give --labels only with suggestions or a document")
        records = _one_doc(_read(source, LabelledParagraph, lambda r: (r.id, r.labels), taxonomy),
                           lambda r: r.doc_id, doc, source)
        paragraphs = [ReportParagraph(_unit(r, n), [TagMark(t, None, CONFIRMED) for t in r.labels])
                      for n, r in enumerate(records)]
        review = Review(records[0].doc_id, source.name, [], taxonomy.version, source.name, paragraphs)
    else:
        suggestions = (_one_doc(_read(source, Suggestion, lambda s: (s.unit.id, [t for t, _ in s.tags]), taxonomy),
                                lambda s: s.unit.doc_id, doc, source)
                       if kind is Suggestion else _prelabel_document(source, model))
        review = _with_labels(suggestions, overlay, source=source, labels=labels)
    review.paragraphs.sort(key=lambda p: p.unit.order)
    for p in review.paragraphs:
        if p.unit.date is not None and not _ISO_DATE.match(p.unit.date):
            review.warnings.append(f"{p.unit.id}: date {p.unit.date!r} is not ISO (YYYY[-MM[-DD]]); left off the timeline")
            p.unit.date = None
    return review


def _with_labels(suggestions: list[Suggestion], overlay: list[LabelledParagraph] | None, *,
                 source: Path, labels: Path | None) -> Review:
    """A review of suggestions; paragraphs coded in `overlay` show its labels as confirmed."""
    doc_id = suggestions[0].unit.doc_id
    coded = {r.id: r.labels for r in overlay or [] if r.doc_id == doc_id}
    unknown = sorted(coded.keys() - {s.unit.id for s in suggestions})
    if unknown:
        raise ReportError(f"{labels}: {len(unknown)} paragraph(s) of {doc_id} are not in {source.name} "
                          f"({', '.join(unknown[:5])}): were they segmented from another version of the review?")
    models = {f"{s.model.get('name', '?')} {s.model.get('version', '?')}": s.model.get("taxonomy", "?")
              for s in suggestions}
    review = Review(doc_id, source.name, list(models), ", ".join(sorted(set(models.values()))),
                    labels.name if labels and coded else None,
                    [_from_suggestion(s, coded.get(s.unit.id)) for s in suggestions])
    if labels and not coded:
        review.warnings.append(f"{labels}: no paragraph of {doc_id}; the report shows suggestions only")
    return review


def _jsonl_kind(path: Path) -> type[Suggestion] | type[LabelledParagraph]:
    """Suggestions (with `scores`) or labelled paragraphs (with `labels`), from the first record."""
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as e:
                raise ReportError(f"{path}:{n}: not JSON ({e})") from e
            if isinstance(data, dict) and "scores" in data:
                return Suggestion
            if isinstance(data, dict) and "labels" in data:
                return LabelledParagraph
            raise ReportError(f"{path}:{n}: neither a suggestion (no 'scores') nor a labelled paragraph "
                              "(no 'labels'): give output of `casetag prelabel` or a reconciled export")
    raise ReportError(f"{path}: empty file")


def _read(path: Path, record: type[T], tagged: Callable[[T], tuple[str, list[str]]], taxonomy: Taxonomy) -> list[T]:
    """Every record of a JSON Lines file, or a ReportError listing the bad lines and the
    records whose tags (`tagged` gives a record's id and tags) are not in the taxonomy."""
    items, errors = [], []
    try:
        for item in iter_jsonl(path, record):
            if isinstance(item, LineError):
                errors.append(str(item))
            elif unknown := taxonomy.unknown(tagged(item)[1]):
                errors.append(f"{path}: {tagged(item)[0]}: tags not in taxonomy {taxonomy.version}: "
                              f"{', '.join(unknown)}")
            else:
                items.append(item)
    except UnicodeDecodeError as e:
        raise ReportError(f"{path}: not UTF-8 text ({e.reason}): is it a JSON Lines file?") from e
    if errors:
        more = f"\n... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise ReportError(f"{path}: {len(errors)} bad line(s), fix or regenerate the file:\n"
                          + "\n".join(errors[:10]) + more)
    if not items:
        raise ReportError(f"{path}: no records")
    return items


def _one_doc(items: list[T], doc_of: Callable[[T], str], doc: str | None, path: Path) -> list[T]:
    ids = list(dict.fromkeys(doc_of(i) for i in items))
    if doc is not None:
        if doc not in ids:
            raise ReportError(f"{path}: no document {doc!r}; it holds {', '.join(ids)}")
        return [i for i in items if doc_of(i) == doc]
    if len(ids) > 1:
        raise ReportError(f"{path} holds {len(ids)} documents: choose one with --doc ID ({', '.join(ids)})")
    return items


def _prelabel_document(path: Path, model: Path) -> list[Suggestion]:
    result = next(segment_documents([path]))
    if result.error:
        raise ReportError(result.error)
    if not result.units:
        raise ReportError(f"{path}: no numbered paragraphs found")
    try:
        tagger = OnnxTagger(model)
    except ModelFolderError as e:
        raise ReportError(f"{e} - pass --model DIR, or a suggestions file from `casetag prelabel`") from e
    return [s for batch in prelabel(result.units, tagger) for s in batch]


def _from_suggestion(s: Suggestion, labels: list[str] | None) -> ReportParagraph:
    if labels is None:
        return ReportParagraph(s.unit, [TagMark(t, score, SUGGESTED) for t, score in s.tags])
    confirmed = sorted((TagMark(t, s.scores.get(t), CONFIRMED) for t in labels), key=lambda m: -(m.score or 0))
    return ReportParagraph(s.unit, confirmed + [TagMark(t, score, REJECTED) for t, score in s.tags if t not in labels])


def _unit(r: LabelledParagraph, n: int) -> Unit:
    """A labelled record as a unit; kind, date and order come from the record when it has them."""
    x = r.extra
    kind = x.get("section_kind") if x.get("section_kind") in SECTION_KINDS else section_kind(r.section)
    date = x["date"] if "date" in x and (x["date"] is None or isinstance(x["date"], str)) else find_date(r.text)
    order = x["order"] if isinstance(x.get("order"), int) else n
    return Unit(r.id, r.doc_id, r.para_id, r.section, kind, date, r.text, order)


# --- the report data ---------------------------------------------------------------------

def timeline_paragraphs(review: Review) -> list[ReportParagraph]:
    """The dated chronology paragraphs (all dated paragraphs when there is no dated chronology)."""
    dated = [p for p in review.paragraphs if p.unit.date]
    chronology = [p for p in dated if p.unit.section_kind == "chronology"]
    return chronology or dated


def template_sheet(review: Review, taxonomy: Taxonomy) -> list[SheetRow]:
    """One row per tag of the taxonomy, in its order: paragraphs tagged, confirmed, highest
    score, first and last date on the timeline, evidence paragraphs."""
    on_timeline = {id(p) for p in timeline_paragraphs(review)}
    rows = []
    for tag in taxonomy.tags:
        hits = [(p, m) for p in review.paragraphs for m in p.counted if m.tag == tag.id]
        dates = sorted(p.unit.date for p, _ in hits if id(p) in on_timeline)
        scores = [m.score for _, m in hits if m.score is not None]
        rows.append(SheetRow(
            group=tag.group, tag=tag.id, name=tag.name, paragraphs=len(hits),
            confirmed=sum(m.status == CONFIRMED for _, m in hits), highest_score=max(scores, default=None),
            first_date=dates[0] if dates else None, last_date=dates[-1] if dates else None,
            evidence=[Evidence(p.unit.para_id, m.score, m.status == CONFIRMED) for p, m in hits]))
    return rows


def write_sheet_csv(rows: list[SheetRow], path: Path, *, doc_id: str) -> None:
    """The template sheet as CSV, one row per tag (evidence as `; `-separated paragraph numbers)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["doc_id", "group", "tag", "name", "paragraphs", "confirmed", "suggested", "highest_score",
                    "first_date", "last_date", "evidence_confirmed", "evidence_suggested"])
        for r in rows:
            w.writerow([doc_id, r.group, r.tag, r.name, r.paragraphs, r.confirmed, r.paragraphs - r.confirmed,
                        "" if r.highest_score is None else f"{r.highest_score:.2f}",
                        r.first_date or "", r.last_date or "",
                        "; ".join(e.para_id for e in r.evidence if e.confirmed),
                        "; ".join(e.para_id for e in r.evidence if not e.confirmed)])


# --- the timeline ------------------------------------------------------------------------

def _when(iso: str) -> float:
    """An ISO date as a fractional year; a month or a year alone sits at its middle."""
    parts = [int(x) for x in iso.split("-")]
    if len(parts) == 1:
        return parts[0] + 0.5
    if len(parts) == 2:
        return parts[0] + (parts[1] - 0.5) / 12
    return parts[0] + (parts[1] - 1 + (parts[2] - 0.5) / 31) / 12


def _colours(taxonomy: Taxonomy) -> dict[str, str]:
    return {g: GROUP_COLOURS[i % len(GROUP_COLOURS)] for i, g in enumerate(taxonomy.groups)}


def _anchor(para_id: str) -> str:
    return "p-" + re.sub(r"[^\w.-]", "_", para_id)


def _title(group: str) -> str:
    return group.replace("_", " ").capitalize()


def timeline_svg(review: Review, taxonomy: Taxonomy, *, width: int = 1000) -> str:
    """Tags against time as an inline SVG: a year band per year of the dated paragraphs, a
    stacked bar per year (indicators by group), then a row per tag that occurs, grouped by
    tag group; a circle per suggestion (size and opacity by score), a diamond per confirmed
    tag, each linking to its paragraph."""
    paras = timeline_paragraphs(review)
    marks = [(p, m) for p in paras for m in p.counted]
    if not marks:
        return (f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 40" role="img" '
                f'aria-label="Timeline"><text x="{width / 2}" y="24" text-anchor="middle" class="empty">'
                'No tagged paragraphs with a date.</text></svg>')
    colour = _colours(taxonomy)
    first = min(int(p.unit.date[:4]) for p in paras)
    last = max(int(p.unit.date[:4]) for p in paras)
    left, right, top, bar_h, row_h, head_h = 200, 12, 26, 48, 17, 24
    span = last + 1 - first

    def x(year: float) -> float:
        return left + (year - first) / span * (width - left - right)

    present = {m.tag for _, m in marks}
    groups = [(g, [t for t in taxonomy.tags if t.group == g and t.id in present]) for g in taxonomy.groups]
    groups = [(g, tags) for g, tags in groups if tags]
    height = top + bar_h + 10 + sum(head_h + row_h * len(tags) for _, tags in groups) + 8
    out = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="Timeline of risk indicators, {first} to {last}">',
           f'<title>Risk indicators in the dated paragraphs, {first} to {last}</title>']
    for year in range(first, last + 1):
        fill = "#f2f4f7" if (year - first) % 2 == 0 else "#ffffff"
        out.append(f'<rect x="{x(year):.1f}" y="{top - 20}" width="{x(year + 1) - x(year):.1f}" '
                   f'height="{height - top + 12}" fill="{fill}"/>')
        out.append(f'<text class="year" x="{x(year + 0.5):.1f}" y="{top - 6}" text-anchor="middle">{year}</text>')

    # a stacked bar per year: how many indicators each group had
    per_year: dict[int, dict[str, int]] = {}
    for p, m in marks:
        counts = per_year.setdefault(int(p.unit.date[:4]), {})
        counts[taxonomy[m.tag].group] = counts.get(taxonomy[m.tag].group, 0) + 1
    most = max(sum(c.values()) for c in per_year.values())
    out.append(f'<text class="row-label" x="{left - 10}" y="{top + bar_h / 2 + 4}" text-anchor="end">'
               'Indicators per year</text>')
    bar_w = min(28.0, (x(first + 1) - x(first)) * 0.6)
    for year, counts in sorted(per_year.items()):
        base = top + bar_h
        for g in taxonomy.groups:
            h = counts.get(g, 0) / most * (bar_h - 12)
            if h:
                base -= h
                out.append(f'<rect x="{x(year + 0.5) - bar_w / 2:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                           f'height="{h:.1f}" fill="{colour[g]}" opacity="0.8"><title>{year}: '
                           f'{counts[g]} {escape(_title(g))} indicator(s)</title></rect>')
        out.append(f'<text class="count" x="{x(year + 0.5):.1f}" y="{base - 3:.1f}" text-anchor="middle">'
                   f'{sum(counts.values())}</text>')

    y = top + bar_h + 10
    for g, tags in groups:
        out.append(f'<text class="group" x="8" y="{y + 16}" fill="{colour[g]}">{escape(_title(g))}</text>')
        out.append(f'<line x1="8" x2="{width - right}" y1="{y + 20.5}" y2="{y + 20.5}" stroke="{colour[g]}" '
                   'stroke-opacity="0.35"/>')
        y += head_h
        for tag in tags:
            mid = y + row_h / 2
            out.append(f'<line x1="{left}" x2="{width - right}" y1="{mid}" y2="{mid}" stroke="#d0d5dd" '
                       'stroke-dasharray="2 3"/>')
            out.append(f'<text class="row-label" x="{left - 10}" y="{mid + 4}" text-anchor="end">'
                       f'{escape(tag.name)}</text>')
            for p, m in sorted(((p, m) for p, m in marks if m.tag == tag.id), key=lambda pm: pm[1].status):
                cx = x(_when(p.unit.date))
                what = "confirmed" if m.status == CONFIRMED else "suggested"
                score = "" if m.score is None else f" {m.score:.2f}"
                out.append(f'<a href="#{escape(_anchor(p.unit.para_id))}"><title>{escape(p.unit.para_id)} · '
                           f'{escape(p.unit.date)} · {escape(tag.name)}{score} ({what})</title>')
                if m.status == CONFIRMED:
                    s = 5.5
                    out.append(f'<path class="mark confirmed" d="M{cx:.1f} {mid - s:.1f}l{s} {s}l{-s} {s}l{-s} {-s}z" '
                               f'fill="{colour[g]}" stroke="#101828" stroke-width="1.2"/></a>')
                else:
                    out.append(f'<circle class="mark suggested" cx="{cx:.1f}" cy="{mid}" r="{2 + 4 * m.score:.1f}" '
                               f'fill="{colour[g]}" fill-opacity="{0.2 + 0.7 * m.score:.2f}"/></a>')
            y += row_h
    out.append("</svg>")
    return "\n".join(out)


# --- the page ----------------------------------------------------------------------------

CSS = """
:root { --ink: #101828; --muted: #667085; --line: #e4e7ec; --bg: #f9fafb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--bg); }
main { max-width: 1160px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 40px 0 6px; padding-top: 8px; border-top: 2px solid var(--line); }
.lede { color: var(--muted); margin: 0 0 14px; max-width: 80ch; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 12px 0;
  background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; font-weight: 500; }
nav.toc a { margin-right: 16px; }
a { color: #175cd3; }
.key { color: var(--muted); font-size: 13px; margin: 8px 0; }
.key .tag { margin: 0 4px; }
.tag { display: inline-block; border-radius: 999px; padding: 0 9px; margin: 2px 3px 2px 0; font-size: 12.5px;
  line-height: 20px; white-space: nowrap; border: 1px solid var(--c); }
.tag.confirmed { background: var(--c); color: #fff; font-weight: 600; }
.tag.confirmed::before { content: "\\2713  "; }
.tag.suggested { background: #fff; color: var(--c); border-style: dashed; }
.tag.rejected { background: #fff; color: var(--muted); border-color: var(--line); text-decoration: line-through; }
.tag .score { font-variant-numeric: tabular-nums; opacity: .85; margin-left: 4px; }
table.sheet { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); font-size: 14px; }
.sheet th, .sheet td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
.sheet thead th { white-space: nowrap; background: #f2f4f7; font-size: 12.5px; text-transform: uppercase; letter-spacing: .03em;
  color: #475467; position: sticky; top: 0; }
.sheet th.num, .sheet td.num { text-align: right; width: 1%; font-variant-numeric: tabular-nums; white-space: nowrap; }
.sheet td.date { width: 1%; white-space: nowrap; font-variant-numeric: tabular-nums; }
.sheet tr.group th { background: #fff; color: var(--c); font-size: 15px; border-top: 2px solid var(--c); }
.sheet tr.group th span { color: var(--muted); font-weight: 400; font-size: 13px; margin-left: 8px; }
.sheet tr.none td { color: #98a2b3; }
.sheet .name a { white-space: nowrap; font-weight: 600; color: var(--ink); text-decoration: none; border-bottom: 1px dotted var(--muted); }
.sheet .name code { color: var(--muted); font-size: 11.5px; margin-left: 8px; }
a.ev { display: inline-block; font-size: 12px; padding: 0 5px; margin: 1px 2px 1px 0; border-radius: 4px;
  text-decoration: none; border: 1px dashed var(--c); color: var(--c); font-variant-numeric: tabular-nums; }
a.ev.confirmed { background: var(--c); color: #fff; border-style: solid; }
details summary { cursor: pointer; color: var(--muted); font-size: 12px; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 8px 4px; }
figcaption { color: var(--muted); font-size: 13px; padding: 4px 8px 6px; }
svg.timeline { width: 100%; height: auto; display: block; font-size: 12px; }
svg.timeline text { fill: #344054; }
svg.timeline text.year { font-weight: 600; font-size: 12.5px; }
svg.timeline text.group { font-weight: 700; font-size: 13px; }
svg.timeline text.count { fill: var(--muted); font-size: 10.5px; }
svg.timeline a:hover .mark { stroke: #101828; stroke-width: 2; }
.toolbar { position: sticky; top: 0; z-index: 2; background: var(--bg); padding: 10px 0; display: flex; gap: 14px;
  align-items: center; border-bottom: 1px solid var(--line); }
.toolbar select { font: inherit; padding: 4px 8px; max-width: 420px; }
.toolbar .shown { color: var(--muted); }
section.sec h3 { font-size: 16px; margin: 22px 0 8px; }
section.sec h3 span { color: var(--muted); font-weight: 400; font-size: 13px; margin-left: 6px; }
article.para { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 8px 0; }
article.para:target { outline: 3px solid #fdb022; }
article.para header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 10px; }
article.para .pid { font-weight: 700; text-decoration: none; color: var(--ink); min-width: 52px; }
article.para .date { color: var(--muted); font-variant-numeric: tabular-nums; font-size: 13px; min-width: 84px; }
article.para p { margin: 6px 0 0; white-space: pre-wrap; }
article.para.untagged { opacity: .72; }
@media print { .toolbar, nav.toc { display: none; } article.para { break-inside: avoid; } }
"""

JS = """
(function () {
  var select = document.getElementById('tag-filter');
  var shown = document.getElementById('shown');
  var paras = Array.prototype.slice.call(document.querySelectorAll('article.para'));
  var sections = Array.prototype.slice.call(document.querySelectorAll('section.sec'));
  function apply() {
    var want = select.value, n = 0;
    paras.forEach(function (p) {
      var tags = p.getAttribute('data-tags').split(' ').filter(Boolean);
      var ok = want === '' || (want === '*' ? tags.length > 0 : tags.indexOf(want) >= 0);
      p.hidden = !ok;
      if (ok) n++;
    });
    sections.forEach(function (s) { s.hidden = !s.querySelector('article.para:not([hidden])'); });
    shown.textContent = 'showing ' + n + ' of ' + paras.length + ' paragraphs';
  }
  select.addEventListener('change', apply);
  document.addEventListener('click', function (e) {
    var a = e.target.closest('a');
    if (!a) return;
    if (a.hasAttribute('data-filter')) { select.value = a.getAttribute('data-filter'); apply(); return; }
    var href = a.getAttribute('href') || '';
    if (href.indexOf('#p-') === 0) {
      var target = document.getElementById(href.slice(1));
      if (target && target.hidden) { select.value = ''; apply(); }
    }
  });
  apply();
})();
"""


def _chip(m: TagMark, taxonomy: Taxonomy, colour: dict[str, str]) -> str:
    tag = taxonomy[m.tag]
    score = "" if m.score is None else f'<span class="score">{m.score:.2f}</span>'
    tip = {CONFIRMED: "confirmed by coders", SUGGESTED: "suggested by the model",
           REJECTED: "suggested, rejected by coders"}[m.status]
    return (f'<span class="tag {m.status}" style="--c:{colour[tag.group]}" title="{escape(tag.id)}: {tip}">'
            f'{escape(tag.name)}{score}</span>')


def _sheet_html(rows: list[SheetRow], taxonomy: Taxonomy, colour: dict[str, str], *, shown: int = 14) -> str:
    out = ['<table class="sheet"><thead><tr><th>Tag</th><th class="num">Paragraphs</th><th class="num">Confirmed</th>'
           '<th class="num">Top score</th><th>First date</th><th>Last date</th><th>Evidence</th></tr></thead>']
    for g, description in taxonomy.groups.items():
        group_rows = [r for r in rows if r.group == g]
        out.append(f'<tbody style="--c:{colour[g]}"><tr class="group"><th colspan="7">{escape(_title(g))}'
                   f'<span>{escape(description)}</span></th></tr>')
        for r in group_rows:
            links = [f'<a class="ev{" confirmed" if e.confirmed else ""}" href="#{escape(_anchor(e.para_id))}" '
                     f'title="{"confirmed" if e.confirmed else "suggested"}'
                     f'{"" if e.score is None else f", score {e.score:.2f}"}">{escape(e.para_id)}</a>'
                     for e in r.evidence]
            evidence = "".join(links[:shown]) + (
                f'<details><summary>{len(links) - shown} more</summary>{"".join(links[shown:])}</details>'
                if len(links) > shown else "")
            name = (f'<a href="#paragraphs" data-filter="{escape(r.tag)}" title="{escape(taxonomy[r.tag].definition)} '
                    f'(click to show its paragraphs)">{escape(r.name)}</a>' if r.paragraphs else escape(r.name))
            out.append(
                f'<tr class="{"hit" if r.paragraphs else "none"}"><td class="name">{name}<code>{escape(r.tag)}</code></td>'
                f'<td class="num">{r.paragraphs or "–"}</td><td class="num">{r.confirmed or "–"}</td>'
                f'<td class="num">{"–" if r.highest_score is None else f"{r.highest_score:.2f}"}</td>'
                f'<td class="date">{escape(r.first_date or "–")}</td><td class="date">{escape(r.last_date or "–")}</td>'
                f'<td>{evidence}</td></tr>')
        out.append("</tbody>")
    out.append("</table>")
    return "\n".join(out)


def _paragraphs_html(review: Review, taxonomy: Taxonomy, colour: dict[str, str]) -> str:
    out: list[str] = []
    section = None
    for p in review.paragraphs:
        u = p.unit
        if u.section != section:
            if section is not None:
                out.append("</section>")
            section = u.section
            out.append(f'<section class="sec"><h3>{escape(u.section or "(no section)")}'
                       f'<span>{escape(u.section_kind)}</span></h3>')
        tags = " ".join(m.tag for m in p.counted)
        chips = "".join(_chip(m, taxonomy, colour) for m in p.marks)
        out.append(f'<article class="para{"" if tags else " untagged"}" id="{escape(_anchor(u.para_id))}" '
                   f'data-tags="{escape(tags)}"><header><a class="pid" href="#{escape(_anchor(u.para_id))}">'
                   f'{escape(u.para_id)}</a><span class="date">{escape(u.date or "")}</span>{chips}</header>'
                   f'<p>{escape(u.text)}</p></article>')
    if section is not None:
        out.append("</section>")
    return "\n".join(out)


def _filter_html(review: Review, rows: list[SheetRow], taxonomy: Taxonomy) -> str:
    tagged = sum(bool(p.counted) for p in review.paragraphs)
    options = [f'<option value="">All paragraphs ({len(review.paragraphs)})</option>',
               f'<option value="*">Any risk indicator ({tagged})</option>']
    for g in taxonomy.groups:
        hits = [r for r in rows if r.group == g and r.paragraphs]
        if hits:
            options.append(f'<optgroup label="{escape(_title(g))}">' + "".join(
                f'<option value="{escape(r.tag)}">{escape(r.name)} ({r.paragraphs})</option>' for r in hits)
                + "</optgroup>")
    return ('<div class="toolbar"><label for="tag-filter">Filter by tag</label>'
            f'<select id="tag-filter">{"".join(options)}</select><span class="shown" id="shown"></span></div>')


def render_report(review: Review, taxonomy: Taxonomy) -> str:
    """The whole report as one HTML page: no external fonts, scripts, styles or images."""
    colour = _colours(taxonomy)
    rows = template_sheet(review, taxonomy)
    on_timeline = timeline_paragraphs(review)
    chronology = sum(p.unit.section_kind == "chronology" for p in review.paragraphs)
    counted = [m for p in review.paragraphs for m in p.counted]
    span = sorted(p.unit.date for p in on_timeline)
    meta = [("Document", f"{review.doc_id} (from {review.source})"),
            ("Paragraphs", f"{len(review.paragraphs)}, {chronology} in the chronology; "
                           f"{sum(bool(p.counted) for p in review.paragraphs)} with a risk indicator"),
            ("Model", ", ".join(review.models) if review.models else "none: coded labels only"),
            ("Taxonomy", review.taxonomy),
            ("Coders' labels", f"{review.labels} ({sum(m.status == CONFIRMED for m in counted)} tags confirmed)"
                               if review.labels else "none: every tag is a model suggestion")]
    key = ('<p class="key">Key: ' + _chip(TagMark(taxonomy.ids[0], None, CONFIRMED), taxonomy, colour)
           + " confirmed by coders (accepted or reconciled) · "
           + _chip(TagMark(taxonomy.ids[0], 0.87, SUGGESTED), taxonomy, colour) + " model suggestion with its score · "
           + _chip(TagMark(taxonomy.ids[0], 0.62, REJECTED), taxonomy, colour) + " suggestion the coders rejected</p>")
    when = f"{span[0]} to {span[-1]}" if span else "no dates"
    where = "dated chronology paragraphs" if any(p.unit.section_kind == "chronology" for p in on_timeline) \
        else "dated paragraphs"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>casetag report: {escape(review.doc_id)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>Risk-indicator report: {escape(review.doc_id)}</h1>",
        '<p class="lede">A first-pass view of the review before coding: which risk indicators occur, when, '
        "and in which paragraphs. Model suggestions are not findings; check each against its paragraph.</p>",
        '<dl class="meta">' + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in meta) + "</dl>",
        '<nav class="toc"><a href="#sheet">Template sheet</a><a href="#timeline">Timeline</a>'
        '<a href="#paragraphs">Paragraphs</a></nav>',
        key,
        '<h2 id="sheet">Template sheet</h2>',
        f'<p class="lede">Every tag of taxonomy {escape(taxonomy.version)}: paragraphs tagged (confirmed or '
        f"suggested), how many coders confirmed, the highest model score, and the first and last date among "
        f"the {where}. Click a tag to list its paragraphs; click a paragraph number to read it.</p>",
        _sheet_html(rows, taxonomy, colour),
        '<h2 id="timeline">Timeline</h2>',
        f'<figure><div class="timeline-wrap">{timeline_svg(review, taxonomy)}</div>'
        f"<figcaption>{len(on_timeline)} {where}, {escape(when)}. One row per tag that occurs; a circle is a "
        "model suggestion (larger and darker: higher score), a diamond with an outline a tag confirmed by coders. "
        "Bars: indicators per year by group. Each mark links to its paragraph.</figcaption></figure>",
        '<h2 id="paragraphs">Paragraphs</h2>',
        _filter_html(review, rows, taxonomy),
        _paragraphs_html(review, taxonomy, colour),
        f"</main><script>{JS}</script></body></html>",
    ]) + "\n"
