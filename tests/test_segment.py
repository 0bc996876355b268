"""Segmentation of text documents written in the layouts real reviews use."""
from pathlib import Path

from inference.ingest import read_document
from inference.segment import segment

NUMBERED = """\
[bookmark: _Toc1]1. [bookmark: _Toc2]Introduction
1.1 [bookmark: _Toc3]Purpose
1.1.1 This review looks at the death of Ms A in 2020.[footnoteRef:1] [1:  Not her real name
(a pseudonym chosen by the family [sic]). ]
1.1.2 The panel met four times.

3. Chronology
2018
3.1.1 On the 3rd May 2018, Ms A told her GP she was low in mood.[footnoteRef:2] [2:  The GP record.]
3.1.2 On the 18th October, police attended after a call from a neighbour. Officers noted:
· Ms A had a cut lip;
· Mr B was drunk; and
· no Merlin report was made.
Agency
\tPanel member
\tRole
3.1.3 The next day, the housing officer visited.
2019
3.1.4 In March 2019, Mr B was arrested.
3.1.5 At 14.38 a neighbour called the police.

5. Analysis
5.1 Analysis of Agency Involvement
MPS
5.1.1 The police response did not consider risk.
Table 3. Contacts by agency
\tAgency\tContacts
\tPolice\t4
5.1.2 The GP did not ask about abuse.

7. Recommendations
7.1 Police to audit Merlin reports.
Appendix 1: Terms of Reference
1. To review the involvement of each agency with Ms A and Mr B.
2. To identify lessons to be learned by each agency.
Appendix 2: Action Plan
1. To make sure the lessons are shared with every agency.
"""

UNNUMBERED = """\
Safeguarding Adults Review: Mr C

Background

Mr C lived alone and had few friends. He drank heavily after his wife died.

He was known to the community mental health team.⁴ His sister visited weekly.

⁴ The team was in the north of the borough.

Findings

Agencies did not share what they knew.
- the GP did not write to the mental health team;
- the council did not pass on the safeguarding concern.

Conclusions

Mr C's self-neglect was not recognised.
"""


def units_of(tmp_path: Path, text: str, name: str = "review.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return segment(read_document(path))


def test_numbered_paragraphs_sections_and_ids(tmp_path):
    units = units_of(tmp_path, NUMBERED, "dhr-ms-a.txt")
    by_id = {u.para_id: u for u in units}
    assert [u.para_id for u in units if u.section_kind == "chronology"] == [f"3.1.{i}" for i in range(1, 6)]
    assert by_id["1.1.1"].id == "dhr-ms-a:1.1.1"
    assert by_id["1.1.1"].section == "1.1 Purpose"
    assert by_id["3.1.1"].section == "3. Chronology"
    assert by_id["5.1.1"].section == "5.1 Analysis of Agency Involvement"
    assert by_id["5.1.1"].section_kind == "analysis"
    assert by_id["7.1"].section_kind == "recommendations"
    assert [u.order for u in units] == list(range(len(units)))


def test_footnotes_and_bookmarks_are_removed(tmp_path):
    by_id = {u.para_id: u for u in units_of(tmp_path, NUMBERED)}
    assert by_id["1.1.1"].text == "This review looks at the death of Ms A in 2020."
    assert by_id["3.1.1"].text.endswith("low in mood.")
    assert not any("[" in u.text or "bookmark" in u.text for u in by_id.values())


def test_bullets_stay_with_their_paragraph_and_tables_are_left_out(tmp_path):
    units = units_of(tmp_path, NUMBERED)
    by_id = {u.para_id: u for u in units}
    assert by_id["3.1.2"].text.splitlines()[1:] == ["· Ms A had a cut lip;", "· Mr B was drunk; and",
                                                   "· no Merlin report was made."]
    assert not any("Panel member" in u.text or "Contacts" in u.text for u in units)
    assert by_id["5.1.2"].text == "The GP did not ask about abuse."


def test_chronology_dates_follow_year_headings(tmp_path):
    by_id = {u.para_id: u for u in units_of(tmp_path, NUMBERED)}
    assert [by_id[f"3.1.{i}"].date for i in range(1, 6)] == [
        "2018-05-03", "2018-10-18", "2018-10-19", "2019-03", "2019-03"]
    assert by_id["1.1.2"].date is None


def test_repeated_numbers_in_appendices_get_unique_ids(tmp_path):
    units = units_of(tmp_path, NUMBERED)
    ids = [u.id for u in units]
    assert len(ids) == len(set(ids))
    appendix = [u for u in units if u.section.startswith("Appendix")]
    assert [u.para_id for u in appendix] == ["1", "2", "A2.1"]


def test_unnumbered_report_falls_back_to_paragraphs_within_sections(tmp_path):
    units = units_of(tmp_path, UNNUMBERED)
    assert [(u.section, u.para_id) for u in units] == [
        ("Background", "s2.p1"), ("Background", "s2.p2"), ("Findings", "s3.p1"), ("Conclusions", "s4.p1")]
    assert [u.section_kind for u in units] == ["background", "background", "analysis", "conclusions"]
    assert units[1].text == "He was known to the community mental health team. His sister visited weekly."
    assert units[2].text.count("\n- ") == 2


def test_ids_are_stable_across_runs(tmp_path):
    first = [u.to_json() for u in units_of(tmp_path, NUMBERED)]
    assert first == [u.to_json() for u in units_of(tmp_path, NUMBERED)]
