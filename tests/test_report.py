"""casetag report: template sheet, timeline and paragraphs, from suggestions made here (no model)."""
from __future__ import annotations

import csv
import json
import re
import zlib
from pathlib import Path
from types import SimpleNamespace

import html5lib
import pytest
from typer.testing import CliRunner

from casetag_cli import app
from inference.report import (
    CONFIRMED, REJECTED, SUGGESTED, load_review, render_report, template_sheet, timeline_svg)
from inference.segment_cli import segment_documents
from labels.records import LabelledParagraph, Suggestion, Unit, write_jsonl
from labels.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "example-review.txt"
TAXONOMY = load_taxonomy()
MODEL = {"name": "casetag-fake", "version": "test-1", "taxonomy": TAXONOMY.version}
HOSTILE = ('Mr A said <script>window.pwned = 1</script> and <b>shouted</b> '
           '<img src=x onerror="window.pwned = 2"> at the carer he relied on.')
# Words that make the fake model sure of a tag, so the example's report reads like a real one.
CUES = {"heroin": "substance_misuse", "drug": "substance_misuse", "intoxicated": "alcohol_misuse",
        "caring": "carer_status", "relied on": "carer_status", "arrears": "financial_difficulties",
        "money": "financial_abuse", "withdrawals": "financial_abuse", "bruise": "physical_abuse",
        "head injuries": "physical_abuse", "Merlin": "missed_merlin_acn", "leaflet": "passive_referral",
        "advised Ellen to contact": "passive_referral", "missed two appointments": "missed_appointments",
        "did not share": "information_sharing_gap", "DASH": "risk_assessment_gap", "prison": "offending_history",
        "pulmonary": "illness_or_disability", "frail": "illness_or_disability", "evicted": "housing_instability",
        "alcohol": "alcohol_misuse", "depress": "mental_health", "assault": "physical_abuse",
        "controlling": "emotional_coercive_abuse", "no further action": "no_further_action",
        "did not attend": "missed_appointments", "interpreter": "migration_language"}


def fake_suggestion(unit: Unit) -> Suggestion:
    """Deterministic scores: a cue word gives 0.6-0.99, every other tag under 0.45 from a hash."""
    scores = {}
    for tag in TAXONOMY.ids:
        noise = zlib.crc32(f"{unit.id}|{tag}".encode()) % 1000 / 1000
        cued = any(cue.lower() in unit.text.lower() and t == tag for cue, t in CUES.items())
        scores[tag] = round(0.6 + 0.39 * noise if cued else 0.45 * noise ** 3, 4)
    tags = sorted(((t, s) for t, s in scores.items() if s >= 0.5), key=lambda x: -x[1])
    return Suggestion(unit=unit, tags=tags, scores=scores, model=MODEL)


def segmented(path: Path) -> list[Unit]:
    result = next(segment_documents([path]))
    assert result.error is None
    return result.units


@pytest.fixture
def example(tmp_path) -> Path:
    """The example review's suggestions, one paragraph holding markup, and reconciled labels for two."""
    units = segmented(EXAMPLE)
    units[1].text = HOSTILE
    suggestions = [fake_suggestion(u) for u in units]
    write_jsonl(tmp_path / "suggestions.jsonl", suggestions)
    chron = {u.para_id: u for u in units if u.section_kind == "chronology"}
    write_jsonl(tmp_path / "reconciled.jsonl", [
        LabelledParagraph(u.id, u.doc_id, u.para_id, u.section, u.text, labels, "reconciled")
        for u, labels in [(chron["3.4"], ["physical_abuse", "missed_merlin_acn", "abuse_not_recognised"]),
                          (chron["3.2"], ["carer_status"])]])
    return tmp_path


SVG = "{http://www.w3.org/2000/svg}"


def parse(page: str):
    """Parse strictly: any HTML parse error fails the test."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)


def test_sheet_counts_dates_and_confirmed_tags(example):
    review = load_review(example / "suggestions.jsonl", taxonomy=TAXONOMY, labels=example / "reconciled.jsonl")
    para = {p.unit.para_id: p for p in review.paragraphs}
    assert [m.status for m in para["3.4"].marks if m.tag == "physical_abuse"] == [CONFIRMED]
    assert {m.tag for m in para["3.4"].marks if m.status == REJECTED} == \
        {t for t, _ in fake_suggestion(para["3.4"].unit).tags} - {"physical_abuse", "missed_merlin_acn"}
    assert {m.status for m in para["3.6"].marks} == {SUGGESTED}

    rows = {r.tag: r for r in template_sheet(review, TAXONOMY)}
    assert list(rows) == TAXONOMY.ids
    physical = rows["physical_abuse"]
    assert [(e.para_id, e.confirmed) for e in physical.evidence] == [("3.4", True), ("3.8", False)]
    assert (physical.paragraphs, physical.confirmed) == (2, 1)
    assert (physical.first_date, physical.last_date) == ("2020-01-02", "2021-03-09")
    assert rows["abuse_not_recognised"].highest_score == \
        max(fake_suggestion(para[i].unit).scores["abuse_not_recognised"] for i in ["3.4"])
    assert rows["sexual_abuse"].paragraphs == 0 and rows["sexual_abuse"].first_date is None


def test_timeline_has_a_row_per_occurring_tag_and_links_marks(example):
    review = load_review(example / "suggestions.jsonl", taxonomy=TAXONOMY, labels=example / "reconciled.jsonl")
    svg = parse(f"<!DOCTYPE html><title>t</title>{timeline_svg(review, TAXONOMY)}").find(f".//{SVG}svg")
    years = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "year"]
    assert years == ["2019", "2020", "2021"]
    labels = {t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "row-label"}
    dated_tags = {m.tag for p in review.paragraphs if p.unit.section_kind == "chronology" for m in p.counted}
    assert labels == {"Indicators per year"} | {TAXONOMY[t].name for t in dated_tags}
    confirmed = [a.get("href") for a in svg.iter(f"{SVG}a") if a.find(f"{SVG}path") is not None]
    assert sorted(confirmed) == ["#p-3.2", "#p-3.4", "#p-3.4", "#p-3.4"]


def test_command_writes_parseable_html_and_csv(example):
    out, sheet = example / "report.html", example / "sheet.csv"
    result = CliRunner().invoke(app, ["report", str(example / "suggestions.jsonl"), "--labels",
                                      str(example / "reconciled.jsonl"), "--out", str(out), "--csv", str(sheet)])
    assert result.exit_code == 0, result.output
    tree = parse(out.read_text(encoding="utf-8"))
    assert tree.find(".//script[@src]") is None and tree.find(".//link") is None
    assert "http" not in " ".join(e.get("href", "") + e.get("src", "") for e in tree.iter() if isinstance(e.tag, str))
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    assert [r["tag"] for r in rows] == TAXONOMY.ids
    physical = next(r for r in rows if r["tag"] == "physical_abuse")
    assert (physical["evidence_confirmed"], physical["evidence_suggested"], physical["first_date"]) == \
        ("3.4", "3.8", "2020-01-02")


def test_labelled_file_alone_derives_dates_and_kinds(tmp_path):
    path = tmp_path / "reconciled.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"id": "d:3.1", "doc_id": "d", "para_id": "3.1", "section": "3. Chronology", "source": "r",
         "text": "On the 5th May 2014, police attended.", "labels": ["physical_abuse"]},
        {"id": "d:3.2", "doc_id": "d", "para_id": "3.2", "section": "3. Chronology", "source": "r",
         "text": "In 2016 she moved.", "labels": []}]) + "\n", encoding="utf-8")
    review = load_review(path, taxonomy=TAXONOMY)
    assert [(p.unit.section_kind, p.unit.date) for p in review.paragraphs] == \
        [("chronology", "2014-05-05"), ("chronology", "2016")]
    assert review.models == [] and "none: coded labels only" in render_report(review, TAXONOMY)


@pytest.mark.parametrize("lines, args, expected", [
    (['{"id": 1}', "not json"], [], [r"suggestions\.jsonl:2: missing field", r"suggestions\.jsonl:3: "]),
    (['{"id": "x:1", "doc_id": "x", "para_id": "1", "section": "S", "section_kind": "other", "date": null, '
      '"text": "T", "order": 0, "tags": [{"tag": "made_up", "score": 0.9}], "scores": {}, "model": {}}'],
     [], [r"suggestions\.jsonl: x:1: tags not in taxonomy v1: made_up"]),
    (None, ["--labels", "SELF"], [r"holds suggestions, not labels: give --labels a reconciled"]),
    (None, [], [r"holds 2 documents: choose one with --doc ID \(doc-a, doc-b\)"]),
    (None, ["--doc", "doc-c"], [r"no document 'doc-c'; it holds doc-a, doc-b"]),
])
def test_bad_input_is_an_error_naming_the_line_or_the_way_out(tmp_path, lines, args, expected):
    path = tmp_path / "suggestions.jsonl"
    if lines is None:
        unit = Unit("x", "doc-a", "1", "1. Intro", "other", None, "Text.", 0)
        write_jsonl(path, [fake_suggestion(unit), fake_suggestion(Unit(**{**unit.to_json(), "doc_id": "doc-b"}))])
    else:
        path.write_text(json.dumps(fake_suggestion(segmented(EXAMPLE)[0]).to_json()) + "\n"
                        + "\n".join(lines) + "\n", encoding="utf-8")
    args = [str(path) if a == "SELF" else a for a in args]
    result = CliRunner().invoke(app, ["report", str(path), "--out", str(tmp_path / "r.html"), *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for pattern in expected:
        assert re.search(pattern, result.output), result.output
    assert not (tmp_path / "r.html").exists()


class FakeTagger:
    """Stands in for OnnxTagger: the fake scores above, through the real prelabel job."""

    tags, thresholds = TAXONOMY.ids, [0.5] * len(TAXONOMY.ids)
    card = SimpleNamespace(name="casetag-fake", version="test-1", taxonomy_version=TAXONOMY.version,
                           format_input=lambda text, section, kind: text)

    def __init__(self, model_dir):
        pass

    def scores(self, texts, batch_size):
        unit = Unit("d:1", "d", "1", "S", "other", None, "", 0)
        return [[fake_suggestion(Unit(**{**unit.to_json(), "text": t})).scores[tag] for tag in self.tags]
                for t in texts]


def test_document_is_segmented_and_prelabelled(monkeypatch):
    monkeypatch.setattr("inference.report.OnnxTagger", FakeTagger)
    review = load_review(EXAMPLE, taxonomy=TAXONOMY)
    assert review.models == ["casetag-fake test-1"] and review.source == EXAMPLE.name
    para = {p.unit.para_id: p for p in review.paragraphs}
    assert {m.tag for m in para["3.3"].marks} == {"substance_misuse", "alcohol_misuse", "missed_appointments"}


def test_document_without_a_model_says_how_to_go_on(tmp_path):
    result = CliRunner().invoke(app, ["report", str(EXAMPLE), "--model", str(tmp_path / "none"),
                                      "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert "no such model folder" in result.output and "suggestions file" in result.output


def test_dhr_report_lists_every_chronology_paragraph_and_spans_2009_to_2019(shared, tmp_path):
    units = segmented(shared / "corpus" / "dhr-overview-report-sajwa.txt")
    write_jsonl(tmp_path / "s.jsonl", [fake_suggestion(u) for u in units])
    review = load_review(tmp_path / "s.jsonl", taxonomy=TAXONOMY)
    tree = parse(render_report(review, TAXONOMY))
    listed = [a.get("id") for a in tree.iter("article")]
    assert len(listed) == len(units)
    assert [i for i in listed if i.startswith("p-3.1.")] == [f"p-3.1.{i}" for i in range(1, 166)]
    svg = tree.find(f".//{SVG}svg")
    years = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "year"]
    assert years == [str(y) for y in range(2009, 2020)]
    marks = [e for e in svg.iter() if e.get("class", "").startswith("mark suggested")]
    dated = [u for u in units if u.section_kind == "chronology" and u.date]
    assert len(marks) == sum(len(fake_suggestion(u).tags) for u in dated) > 20
