"""`casetag label-issues`: paragraphs whose labels the model confidently contradicts, from
cross-validated out-of-fold predictions (`casetag crossval` writes oof.jsonl).

Confident learning (Northcutt et al. 2021), per tag as a binary task: the per-class thresholds
are the mean predicted probability of each class among the paragraphs labelled with it
(t1 = mean p over positives, t0 = mean 1 - p over negatives). A paragraph is confidently in
class 1 when p >= t1, in class 0 when 1 - p >= t0 (both: the likelier one). The off-diagonal
cells of this confident joint are the issues: labelled yes but confidently no, or labelled no
but confidently yes. Issues are ranked by the self-confidence of the given label (p for a yes,
1 - p for a no), lowest first. Tags with fewer than `min_positives` positives are skipped:
their thresholds rest on too few paragraphs.
"""
from __future__ import annotations

import csv
import html
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Sequence

import numpy as np
import typer

from training.data import DataError, label_matrix, read_labelled

SAYS_NO = "label says yes, model says no"
SAYS_YES = "label says no, model says yes"


@dataclass
class LabelIssue:
    id: str
    tag: str
    label: int  # 1 = the paragraph has the tag
    direction: str
    score: float  # out-of-fold probability of the tag
    threshold: float  # the class threshold the score passed (t0 as a probability of the tag: 1 - t0)
    self_confidence: float  # the model's probability of the given label
    labels: list[str]
    text: str


def confident_issues(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """One binary tag: (labelled 1 but confidently 0, labelled 0 but confidently 1, t1, t0)."""
    y = y > 0
    t1 = float(p[y].mean()) if y.any() else 1.0
    t0 = float((1 - p[~y]).mean()) if (~y).any() else 1.0
    in1, in0 = p >= t1, (1 - p) >= t0
    both = in1 & in0
    in1, in0 = in1 & (~both | (p >= 0.5)), in0 & (~both | (p < 0.5))
    return y & in0, ~y & in1, t1, t0


def read_oof(path: Path) -> tuple[list[str], np.ndarray, list[str], list[list[str]]]:
    """(ids, scores [n, tags], tag order, labels) of an oof.jsonl written by `casetag crossval`."""
    ids, rows, labels, tags = [], [], [], None
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                tags = tags or list(row["scores"])
                rows.append([float(row["scores"][t]) for t in tags])
                ids.append(row["id"])
                labels.append(list(row["labels"]))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
                raise DataError(f"{path}:{n}: not an out-of-fold prediction ({e}); "
                                "write one with `casetag crossval`") from e
    if not ids:
        raise DataError(f"{path}: no predictions")
    return ids, np.asarray(rows), tags, labels


def find_label_issues(*, oof: Path, data: Sequence[Path] = (), min_positives: int = 5) -> list[LabelIssue]:
    """The confident-learning issues of the module docstring, ranked. Labels and texts come from
    `data` (the labelled files cross-validated; the later file wins an id) where given, else the
    labels stored in `oof`."""
    from labels.taxonomy import load_taxonomy

    ids, scores, tags, oof_labels = read_oof(oof)
    records = {}
    for path in data:
        records.update({r.id: r for r in read_labelled(path, load_taxonomy())})
    missing = [i for i in ids if data and i not in records]
    if missing:
        raise DataError(f"{len(missing)} paragraph(s) of {oof} are not in {', '.join(map(str, data))} "
                        f"(e.g. {missing[0]}): pass the files the cross-validation used")
    labels = [records[i].labels if data else ls for i, ls in zip(ids, oof_labels)]
    y = label_matrix([type("R", (), {"labels": ls})() for ls in labels], tags)
    issues = []
    for j, tag in enumerate(tags):
        if y[:, j].sum() < min_positives:
            continue
        says_no, says_yes, t1, t0 = confident_issues(y[:, j], scores[:, j])
        for i in np.flatnonzero(says_no | says_yes):
            yes = bool(y[i, j])
            p = float(scores[i, j])
            issues.append(LabelIssue(
                id=ids[i], tag=tag, label=int(yes), direction=SAYS_NO if yes else SAYS_YES, score=round(p, 4),
                threshold=round(1 - t0 if yes else t1, 4), self_confidence=round(p if yes else 1 - p, 4),
                labels=labels[i], text=records[ids[i]].text if data else ""))
    return sorted(issues, key=lambda x: (x.self_confidence, x.id, x.tag))


def write_csv(issues: Sequence[LabelIssue], path: Path) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([fl.name for fl in fields(LabelIssue)])
        for x in issues:
            w.writerow([*(v if not isinstance(v, list) else " ".join(v) for v in asdict(x).values())])


def write_html(issues: Sequence[LabelIssue], path: Path, *, source: str) -> None:
    """A self-contained page for coders: one row per issue, worst first."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{i}</td><td><code>{e(x.id)}</code></td><td>{e(x.tag)}</td>"
        f"<td class={'no' if x.label else 'yes'}>{e(x.direction)}</td><td>{x.score:.2f}</td>"
        f"<td>{e(', '.join(x.labels) or '(none)')}</td><td class=text>{e(x.text)}</td></tr>"
        for i, x in enumerate(issues, 1))
    paragraphs = len({x.id for x in issues})
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>casetag likely label issues</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}}
.text{{max-width:70ch}}.no{{color:#b30}}.yes{{color:#36c}}</style></head><body>
<h1>Likely label issues</h1>
<p>{len(issues)} (paragraph, tag) pairs on {paragraphs} paragraphs where the cross-validated model
confidently contradicts the label (confident learning over <code>{e(source)}</code>), the model's
least supported labels first. Please check each against the codebook and correct the label, or
confirm it.</p>
<table><tr><th>#</th><th>paragraph</th><th>tag</th><th>issue</th><th>model score</th><th>labels now</th>
<th>text</th></tr>{rows}</table></body></html>"""
    Path(path).write_text(page, encoding="utf-8")


def label_issues_cli(
    oof: Path = typer.Option(..., "--oof", help="Out-of-fold predictions (oof.jsonl from `casetag crossval`)."),
    data: list[Path] = typer.Option([], "--data", help="The labelled files cross-validated, for the labels and "
                                    "texts (repeatable; a later file wins an id)."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write the issues as CSV here."),
    html_out: Path | None = typer.Option(None, "--html", help="Write a page for coders here."),
    min_positives: int = typer.Option(5, "--min-positives", help="Skip tags with fewer positives."),
    top: int = typer.Option(15, "--top", help="How many issues to print."),
) -> None:
    """List paragraphs whose labels the cross-validated model confidently contradicts
    (confident learning per tag), worst first, as CSV and HTML to send back to coders."""
    try:
        issues = find_label_issues(oof=oof, data=data, min_positives=min_positives)
    except DataError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    n_ids = len({x.id for x in issues})
    typer.echo(f"{len(issues)} likely label issues on {n_ids} paragraphs "
               f"({sum(x.label for x in issues)} {SAYS_NO}, {sum(not x.label for x in issues)} {SAYS_YES})")
    for x in issues[:top]:
        typer.echo(f"  {x.id}  {x.tag}: {x.direction} ({x.score:.2f})  {x.text[:90]}")
    if csv_out:
        write_csv(issues, csv_out)
    if html_out:
        write_html(issues, html_out, source=str(oof))
