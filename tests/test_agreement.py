"""Agreement figures against hand-computed examples and scikit-learn's kappa."""
import json

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from casetag_cli import app
from labels.agreement import agreement, cohen_kappa, format_table, krippendorff_alpha, write_html
from labels.store import Store
from test_store import SAMPLE, code


def test_kappa_by_hand_and_against_sklearn():
    a, b = [1, 1, 0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 1, 0, 1, 0]
    # po = 6/8; pe = (3/8)(3/8) + (5/8)(5/8) = 34/64; kappa = (48/64 - 34/64) / (30/64) = 14/30
    assert cohen_kappa(a, b) == pytest.approx(14 / 30)
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 3, 50), rng.integers(0, 3, 50)
    assert cohen_kappa(x, y) == pytest.approx(cohen_kappa_score(x, y))
    assert cohen_kappa([0, 0, 0], [0, 0, 0]) is None


def test_alpha_by_hand():
    # Two coders, four units: 1/1, 1/0, 0/0, 0/0. Coincidences: o11 = 2, o00 = 4, o01 = o10 = 1;
    # n1 = 3, n0 = 5, n = 8; alpha = 1 - (n - 1) * 2 / (2 * n0 * n1) = 1 - 7 * 2 / 30
    values = np.array([[1, 1], [1, 0], [0, 0], [0, 0]], dtype=float)
    assert krippendorff_alpha(values) == pytest.approx(1 - 14 / 30)
    # A third coder with gaps; a unit with a single value is not pairable and drops out.
    values = np.array([[1, 1, 1], [1, 0, np.nan], [0, 0, np.nan], [np.nan, 0, np.nan]])
    # o11 = 3 (unit 1: 6 ordered pairs / 2) + 0, o10 = o01 = 1, o00 = 2; n1 = 4, n0 = 3, n = 7
    assert krippendorff_alpha(values) == pytest.approx(1 - 6 * 2 / (2 * 4 * 3))
    assert krippendorff_alpha(np.array([[1, 1], [1, 1]], dtype=float)) is None


def test_report_over_codings():
    codings = {"p1": {"alice": ["a"], "bob": ["a"]},
               "p2": {"alice": ["a", "b"], "bob": ["b"], "carol": ["b"]},
               "p3": {"alice": [], "bob": []},
               "p4": {"alice": ["a"]}}  # one coder: not a unit
    r = agreement(codings, ["a", "b", "c"])
    assert (r.coders, r.units, r.identical) == (["alice", "bob", "carol"], 3, pytest.approx(2 / 3))
    a = r.per_tag[0]
    assert a.positives == {"alice": 2, "bob": 1, "carol": 0}
    assert a.agreement == pytest.approx(3 / 5, abs=1e-4)  # pairs: p1 1 agree, p2 1 of 3, p3 1
    assert a.kappa["alice|bob"] == pytest.approx(cohen_kappa([1, 1, 0], [1, 0, 0]), abs=1e-4)
    assert r.per_tag[1].agreement == 1.0 and r.per_tag[2].alpha is None
    assert r.overall.agreement == pytest.approx((3 + 5 + 5) / 15, abs=1e-4)
    table = format_table(r)
    assert "3 paragraphs coded by 2+ of 3 coders" in table and table.splitlines()[2].startswith("overall")


def test_command_writes_table_json_and_html(tmp_path):
    db = str(tmp_path / "a.db")
    store = Store(db)
    store.import_suggestions(SAMPLE)
    store.assign(["alice", "bob"], overlap=2)
    code(store, "alice", "dhr-a:1", ["substance_misuse"])
    code(store, "bob", "dhr-a:1", ["substance_misuse", "mental_health"])
    code(store, "alice", "dhr-a:2", ["carer_status"])
    code(store, "bob", "dhr-a:2", ["carer_status"])
    store.close()
    out, page = tmp_path / "a.json", tmp_path / "a.html"
    r = CliRunner().invoke(app, ["agreement", "--db", db, "--json", str(out), "--html", str(page)])
    assert r.exit_code == 0, r.output
    assert "2 paragraphs coded by 2+ of 2 coders (alice, bob)" in r.output
    data = json.loads(out.read_text())
    assert data["units"] == 2 and data["overall"]["agreement"] == pytest.approx(61 / 62, abs=1e-4)
    assert "kappa alice|bob" in page.read_text()
    r = CliRunner().invoke(app, ["agreement", "--db", str(tmp_path / "empty.db")])
    assert r.exit_code == 2 and "no paragraph is coded by two coders" in r.output
