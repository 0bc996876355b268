"""Likely label issues by confident learning over out-of-fold predictions."""
import csv
import json

import numpy as np
from typer.testing import CliRunner

from casetag_cli import app
from training.label_issues import SAYS_NO, SAYS_YES, confident_issues, find_label_issues


def test_confident_joint_of_one_tag():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    p = np.array([.9, .8, .7, .05, .1, .1, .2, .1, .85, .3])
    says_no, says_yes, t1, t0 = confident_issues(y, p)
    # t1 = mean p of positives = 2.45 / 4; t0 = mean (1 - p) of negatives = 4.35 / 6
    assert (t1, round(t0, 4)) == (0.6125, 0.725)
    assert np.flatnonzero(says_no).tolist() == [3]     # labelled yes, 1 - 0.05 >= t0
    assert np.flatnonzero(says_yes).tolist() == [8]    # labelled no, 0.85 >= t1


def test_command_ranks_and_writes_csv_and_html(tmp_path):
    tags = ["mental_health", "carer_status"]
    rng = np.random.default_rng(0)
    rows, data = [], []
    for i in range(40):
        labels = ["mental_health"] if i % 2 else []
        p = 0.8 + 0.1 * rng.random() if i % 2 else 0.1 * rng.random()
        if i == 7:
            p = 0.01    # labelled yes, the model is sure it is not
        if i == 10:
            p = 0.95    # labelled no, the model is sure it is
        rows.append({"id": f"d:{i}", "fold": i % 5, "labels": labels, "predicted": [],
                     "scores": {"mental_health": p, "carer_status": 0.02}})
        data.append({"id": f"d:{i}", "doc_id": "d", "para_id": str(i), "section": "S",
                     "text": f"Paragraph <b>{i}</b>.", "labels": labels})
    oof, labelled = tmp_path / "oof.jsonl", tmp_path / "d.jsonl"
    oof.write_text("".join(json.dumps(r) + "\n" for r in rows))
    labelled.write_text("".join(json.dumps(r) + "\n" for r in data))
    issues = find_label_issues(oof=oof, data=[labelled])
    assert [(x.id, x.tag, x.direction) for x in issues] == [
        ("d:7", "mental_health", SAYS_NO), ("d:10", "mental_health", SAYS_YES)]
    assert issues[0].text == "Paragraph <b>7</b>." and issues[0].labels == ["mental_health"]
    out, page = tmp_path / "i.csv", tmp_path / "i.html"
    r = CliRunner().invoke(app, ["label-issues", "--oof", str(oof), "--data", str(labelled), "--csv", str(out),
                                 "--html", str(page)])
    assert r.exit_code == 0, r.output
    assert "2 likely label issues on 2 paragraphs" in r.stdout
    assert [row["id"] for row in csv.DictReader(out.open())] == ["d:7", "d:10"]
    assert "Paragraph &lt;b&gt;7&lt;/b&gt;." in page.read_text()
    r = CliRunner().invoke(app, ["label-issues", "--oof", str(labelled)])
    assert r.exit_code == 2 and "not an out-of-fold prediction" in r.output
