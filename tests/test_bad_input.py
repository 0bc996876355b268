"""Each bad document gets one clear line; the rest of the batch is still segmented."""
import json
import random
from pathlib import Path

import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

from casetag_cli import app

GOOD = "3. Chronology\n3.1 On the 2nd May 2019, Ms A called the police.\n3.2 Officers attended.\n"


def _scanned_pdf(path: Path) -> None:
    c = canvas.Canvas(str(path))
    for i in range(30):  # a page of shapes, no text layer
        c.rect(50, 50 + 20 * i, 400, 10, fill=1)
    c.save()


def _encrypted_pdf(path: Path) -> None:
    c = canvas.Canvas(str(path), encrypt=StandardEncryption("secret", ownerPassword="owner"))
    c.drawString(72, 700, "3.1 On the 2nd May 2019, Ms A called the police about her son.")
    c.save()


def _garbage(path: Path) -> None:
    rng = random.Random(1)
    path.write_bytes(bytes(rng.randrange(256) for _ in range(4096)))


CASES = {
    "empty.txt": (lambda p: p.write_text(""), "empty file"),
    "garbage.txt": (_garbage, "binary data, not text"),
    "report.doc": (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0 old word"), "unsupported file type '.doc'"),
    "scanned.pdf": (_scanned_pdf, "no text layer (scanned PDF?)"),
    "locked.pdf": (_encrypted_pdf, "encrypted PDF"),
    "broken.pdf": (_garbage, "not a readable PDF"),
    "broken.docx": (_garbage, "not a readable .docx"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_bad_document_is_named_with_its_problem(tmp_path, name):
    make, problem = CASES[name]
    bad = tmp_path / name
    make(bad)
    good = tmp_path / "good.txt"
    good.write_text(GOOD)
    out = tmp_path / "units.jsonl"

    result = CliRunner().invoke(app, ["segment", str(bad), str(good), "--out", str(out)])

    assert result.exit_code == 1
    errors = [l for l in result.stderr.splitlines() if l.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {bad}: {problem}")
    assert "1 of 2 document(s) segmented" in result.stderr and "1 failed" in result.stderr
    assert [json.loads(l)["para_id"] for l in out.read_text().splitlines()] == ["3.1", "3.2"]


def test_missing_path_is_reported(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(GOOD)
    missing = tmp_path / "nope.pdf"
    result = CliRunner().invoke(app, ["segment", str(missing), str(good), "--out", str(tmp_path / "u.jsonl")])
    assert result.exit_code == 1
    assert f"error: {missing}: no such file" in result.stderr


def test_cp1252_text_is_read_with_a_warning(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes("3. Chronology\n3.1 On the 2nd May 2019, Zoë paid £40 rent – late.\n".encode("cp1252"))
    out = tmp_path / "u.jsonl"
    result = CliRunner().invoke(app, ["segment", str(path), "--out", str(out)])
    assert result.exit_code == 0
    assert f"warning: {path}: not UTF-8; read as Windows-1252" in result.stderr
    assert json.loads(out.read_text())["text"] == "On the 2nd May 2019, Zoë paid £40 rent – late."


def test_a_failed_batch_leaves_an_existing_output_untouched(tmp_path):
    out = tmp_path / "units.jsonl"
    out.write_text("earlier work\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    result = CliRunner().invoke(app, ["segment", str(empty), "--out", str(out)])
    assert result.exit_code == 1
    assert out.read_text() == "earlier work\n"
