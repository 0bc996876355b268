"""Acceptance on the real DHR overview report in ../shared/corpus (skips without it)."""
import json

from typer.testing import CliRunner

from casetag_cli import app


def test_dhr_chronology_is_165_dated_paragraphs(shared, tmp_path):
    out = tmp_path / "units.jsonl"
    result = CliRunner().invoke(
        app, ["segment", str(shared / "corpus" / "dhr-overview-report-sajwa.txt"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    units = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    chronology = [u for u in units if u["para_id"].startswith("3.1.")]

    assert [u["para_id"] for u in chronology] == [f"3.1.{i}" for i in range(1, 166)]
    assert [u["order"] for u in chronology] == sorted(u["order"] for u in chronology)
    assert {u["section_kind"] for u in chronology} == {"chronology"}
    assert [u for u in units if u["section_kind"] == "chronology"] == chronology
    dated = [u for u in chronology if u["date"]]
    assert len(dated) >= 0.9 * 165
    assert all(2009 <= int(u["date"][:4]) <= 2019 for u in dated)
    first = chronology[0]
    assert first["date"] == "2009-11-29" and first["text"].startswith("On the 29th November 2009, Sajwa")
    assert not any("[footnoteRef" in u["text"] or "[bookmark" in u["text"] for u in units)


def test_seed_paragraphs_of_the_dhr_are_found_with_their_sections(shared, tmp_path):
    """Every labelled DHR paragraph in seed-v1 is a unit with the same number and section."""
    out = tmp_path / "units.jsonl"
    CliRunner().invoke(app, ["segment", str(shared / "corpus" / "dhr-overview-report-sajwa.txt"), "--out", str(out)])
    units = {u["para_id"]: u for u in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    seed = [json.loads(l) for l in (shared / "data" / "seed-v1.jsonl").read_text(encoding="utf-8").splitlines()]
    seed = [r for r in seed if r["doc_id"] == "dhr-sajwa"]
    assert len(seed) == 510
    assert [r["para_id"] for r in seed if r["para_id"] not in units] == []
    assert [r["para_id"] for r in seed if units[r["para_id"]]["section"] != r["section"]] == []
