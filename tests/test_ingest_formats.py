"""DOCX and PDF readers on real files the tests build with python-docx and reportlab."""
from pathlib import Path

import docx
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from inference.ingest import read_document
from inference.segment import segment

CHRONOLOGY = [
    "On the 3rd May 2018, Ms A told her GP that she was low in mood and was given a leaflet.",
    "On the 18th October 2018, police attended after a neighbour heard shouting at the flat.",
    "In March 2019, Mr B was arrested for assault and released on bail the same day.",
]


def test_docx_headings_numbering_bullets_and_tables(tmp_path):
    d = docx.Document()
    d.add_heading("Chronology", level=1)
    for i, text in enumerate(CHRONOLOGY, 1):
        d.add_paragraph(f"3.1.{i} {text}")
    d.add_paragraph("The officers recorded:")
    d.add_paragraph("Ms A had a cut lip;", style="List Bullet")
    d.add_paragraph("Mr B was drunk.", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Pseudonym", "Relationship"
    table.cell(1, 0).text, table.cell(1, 1).text = "Ms A", "Victim, aged 34, who lived alone"
    d.add_heading("Recommendations", level=1)
    d.add_paragraph("Police to audit how officers complete Merlin reports.", style="List Number")
    d.add_paragraph("The GP practice to ask about domestic abuse at every review.", style="List Number")
    path = tmp_path / "review.docx"
    d.save(path)

    units = segment(read_document(path))
    chron = [u for u in units if u.section_kind == "chronology"]
    assert [u.para_id for u in chron] == ["3.1.1", "3.1.2", "3.1.3"]
    assert [u.date for u in chron] == ["2018-05-03", "2018-10-18", "2019-03"]
    assert chron[-1].text.endswith("The officers recorded:\n· Ms A had a cut lip;\n· Mr B was drunk.")
    assert not any("Pseudonym" in u.text or "lived alone" in u.text for u in units)
    recs = [u for u in units if u.section_kind == "recommendations"]
    assert [(u.para_id, u.text[:6]) for u in recs] == [("1", "Police"), ("2", "The GP")]


def _page_furniture(c: canvas.Canvas, page: int, pages: int) -> None:
    width, height = A4
    c.setFont("Helvetica", 9)
    c.drawString(72, height - 40, "Overview Report - Ms A - Official Sensitive")
    c.drawCentredString(width / 2, 30, f"Page {page} of {pages}")


def _lines(c, x, y, lines, size=11, leading=15):
    c.setFont("Helvetica", size)
    for line in lines:
        c.drawString(x, y, line)
        y -= leading
    return y


def test_pdf_page_furniture_footnotes_wrapping_and_two_columns(tmp_path):
    path = tmp_path / "review.pdf"
    width, height = A4
    c = canvas.Canvas(str(path), pagesize=A4)
    _page_furniture(c, 1, 3)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(72, height - 90, "3. Chronology")
    y = _lines(c, 72, height - 120, [
        "3.1.1 On the 3rd May 2018, Ms A told her GP that she was low in mood",
        "and was given a leaflet about a local counselling service.",
    ])
    c.setFont("Helvetica", 6)
    c.drawString(72 + c.stringWidth("and was given a leaflet about a local counselling service.", "Helvetica", 11),
                 y + 20, "1")
    y = _lines(c, 72, y - 8, [
        "3.1.2 On the 18th October 2018, police attended after a neighbour heard",
        "shouting at the flat. No Merlin report was made. A self-",
        "harm referral was not made.",
    ])
    _lines(c, 72, 60, ["1 The leaflet was out of date."], size=8, leading=10)
    c.showPage()
    _page_furniture(c, 2, 3)
    _lines(c, 72, height - 90, [
        "3.1.3 In March 2019, Mr B was arrested for assault and was released",
        "on bail the same day with conditions not to contact Ms A.",
    ])
    c.showPage()
    _page_furniture(c, 3, 3)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(72, height - 90, "5. Analysis")
    left = ["5.1 The police did not complete a", "DASH risk assessment at either", "incident in 2018 or 2019."] * 1
    right = ["5.2 The GP did not ask Ms A about", "domestic abuse when she said", "that she was low in mood."]
    filler_left = [f"word{i} " * 4 for i in range(12)]
    filler_right = [f"text{i} " * 4 for i in range(12)]
    _lines(c, 72, height - 120, left + filler_left)
    _lines(c, 320, height - 120, right + filler_right)
    c.save()

    units = segment(read_document(path))
    by_id = {u.para_id: u for u in units}
    assert by_id["3.1.1"].text == ("On the 3rd May 2018, Ms A told her GP that she was low in mood "
                                   "and was given a leaflet about a local counselling service.")
    assert by_id["3.1.2"].text.endswith("No Merlin report was made. A self-harm referral was not made.")
    assert by_id["3.1.3"].date == "2019-03"
    assert not any("Official Sensitive" in u.text or "Page " in u.text or "out of date" in u.text
                   for u in units)
    assert by_id["5.1"].text.startswith("The police did not complete a DASH risk assessment at either incident")
    assert by_id["5.2"].text.startswith("The GP did not ask Ms A about domestic abuse when she said")
    assert by_id["5.1"].section_kind == by_id["5.2"].section_kind == "analysis"


def test_pdf_ruled_tables_are_table_blocks_and_a_framed_box_is_not(tmp_path):
    from reportlab.lib import colors
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    path = tmp_path / "tables.pdf"
    pseudonyms = Table([["Pseudonym", "Relationship"], ["Ms A", "Victim, aged 34"], ["Mr B", "Perpetrator, aged 36"]])
    pseudonyms.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    framed = Table([["1.2.1 A framed note is still prose, not a table."]])
    framed.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, colors.black)]))
    story = [Paragraph("1. Introduction", styles["Heading1"]),
             Paragraph("1.1.1 The review panel used these pseudonyms:", styles["Normal"]), pseudonyms,
             Paragraph("1.1.2 The family were told of the review in writing.", styles["Normal"]), framed]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)

    blocks = read_document(path).blocks
    tables = [b.text for b in blocks if b.table]
    assert any("Pseudonym" in t for t in tables) and any("Mr B" in t for t in tables)
    units = segment(read_document(path))
    assert [u.para_id for u in units] == ["1.1.1", "1.1.2", "1.2.1"]
    assert not any("Perpetrator" in u.text for u in units)
    assert units[0].section == "1. Introduction"  # the heading was read as one
