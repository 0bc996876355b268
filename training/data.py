"""Labelled paragraphs for training: load and validate sources, combine them, split without leakage.

Every problem in the input (unknown labels, empty texts, duplicate ids, malformed lines) is
raised as a DataError naming the file and record before any training starts.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from inference.sections import section_kind
from labels.records import LabelledParagraph, LineError, iter_jsonl
from labels.taxonomy import Taxonomy


class DataError(ValueError):
    """Training data that cannot be used; the message names the file and the records."""


@dataclass
class Example:
    """A labelled paragraph ready for training: its record plus where it came from."""

    record: LabelledParagraph
    weight: float
    train_only: bool  # synthetic: train on it, never measure on it
    origin: str = ""  # the source file's name ("codebook" for codebook examples)

    @property
    def group(self) -> str:
        """Paragraphs of one document section stay together in every split."""
        return f"{self.record.doc_id}\x1f{self.record.section}"


def read_labelled(path: Path | str, taxonomy: Taxonomy, limit: int | None = None) -> list[LabelledParagraph]:
    """Read and validate one JSON Lines file of labelled paragraphs.

    Raises DataError listing malformed lines, empty texts, unknown labels (by name, with the
    lines that use them) and duplicate ids.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    records, problems = [], []
    unknown: dict[str, list[int]] = defaultdict(list)
    first_line: dict[str, int] = {}
    with path.open(encoding="utf-8") as f:  # iter_jsonl skips blank lines: map records to line numbers
        line_numbers = [n for n, text in enumerate(f, 1) if text.strip()]
    for line, item in zip(line_numbers, iter_jsonl(path, LabelledParagraph)):
        if limit is not None and len(records) >= limit:
            break
        if isinstance(item, LineError):
            problems.append(str(item))
            continue
        for tag in taxonomy.unknown(item.labels):
            unknown[tag].append(line)
        if item.id in first_line:
            problems.append(f"{path}:{line}: duplicate id {item.id!r} (first on line {first_line[item.id]})")
        else:
            first_line[item.id] = line
        records.append(item)
    if unknown:
        listed = "; ".join(f"{t!r} (lines {', '.join(map(str, ls[:5]))}{', ...' if len(ls) > 5 else ''})"
                           for t, ls in sorted(unknown.items()))
        problems.insert(0, f"{path}: labels not in taxonomy {taxonomy.version}: {listed}")
    if problems:
        shown = "\n".join(problems[:12])
        more = f"\n... and {len(problems) - 12} more" if len(problems) > 12 else ""
        raise DataError(f"{len(problems)} problem(s) in the training data:\n{shown}{more}")
    if not records:
        raise DataError(f"{path}: no labelled paragraphs")
    return records


def load_examples(sources: Sequence, taxonomy: Taxonomy, resolve=Path) -> list[Example]:
    """Read every source of a DataConfig and combine them, de-duplicated by paragraph id: a later
    source wins (a reconciled export listed after ../shared/data corrects its labels), in the
    place the id first had. Within one file ids must be unique."""
    examples: dict[str, Example] = {}
    for s in sources:
        for r in read_labelled(resolve(s.path), taxonomy, limit=s.limit):
            examples[r.id] = Example(record=r, weight=s.weight, train_only=s.train_only, origin=Path(s.path).name)
    return list(examples.values())


def codebook_examples(taxonomy: Taxonomy, weight: float) -> list[Example]:
    """Each tag's definition and its "tag when" text as two train-only examples of that tag: the
    codebook as extra signal for tags with few labelled paragraphs."""
    examples = []
    for tag in taxonomy.tags:
        for kind, text in (("definition", f"{tag.name}. {tag.definition}"), ("tag-when", tag.tag_when)):
            record = LabelledParagraph(id=f"codebook:{tag.id}:{kind}", doc_id=f"codebook-{taxonomy.version}",
                                       para_id=f"{tag.id}:{kind}", section="Codebook", text=text,
                                       labels=[tag.id], source="codebook")
            examples.append(Example(record=record, weight=weight, train_only=True, origin="codebook"))
    return examples


def label_matrix(records: Sequence[LabelledParagraph], tag_ids: Sequence[str]) -> np.ndarray:
    """Multi-hot matrix [n, tags] in the order of `tag_ids`."""
    index = {t: i for i, t in enumerate(tag_ids)}
    y = np.zeros((len(records), len(tag_ids)), dtype=np.float32)
    for row, r in enumerate(records):
        for t in r.labels:
            y[row, index[t]] = 1.0
    return y


def format_input(record: LabelledParagraph, input_format: str) -> str:
    """The text the model reads: plain preprocessing (a section-kind prefix, say) before tokenising."""
    return input_format.format(text=record.text, section=record.section,
                               section_kind=section_kind(record.section))


def data_hash(examples: Sequence[Example]) -> str:
    """sha256 over the records and their weights, independent of file paths."""
    h = hashlib.sha256()
    for e in examples:
        h.update(json.dumps([e.record.to_json(), e.weight, e.train_only], sort_keys=True,
                            ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def tag_counts(records: Sequence[LabelledParagraph], tag_ids: Sequence[str]) -> dict[str, int]:
    c = Counter(t for r in records for t in r.labels)
    return {t: c.get(t, 0) for t in tag_ids}


def to_dataset(examples: Sequence[Example], tag_ids: Sequence[str], input_format: str):
    """A Hugging Face `datasets.Dataset` with the model's input text, multi-hot labels and weights."""
    import datasets

    records = [e.record for e in examples]
    y = label_matrix(records, tag_ids)
    return datasets.Dataset.from_dict({
        "id": [r.id for r in records],
        "group": [e.group for e in examples],
        "source": [r.source for r in records],
        "input": [format_input(r, input_format) for r in records],
        "labels": y.tolist(),
        "weight": [float(e.weight) for e in examples],
        "train_only": [e.train_only for e in examples],
    })


def grouped_stratified_folds(groups: Sequence[str], y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Assign every row a fold in 0..k-1: rows of a group share a fold, tags spread over folds.

    Iterative stratification (Sechidis et al. 2011) over groups: the rarest tag first, each
    group holding it goes to the fold that still wants most of that tag (ties: the fold that
    wants most rows, then at random); groups without tags fill the folds by size.
    """
    if k < 2:
        raise ValueError("k must be at least 2")
    groups = list(groups)
    names = sorted(set(groups))
    if len(names) < k:
        raise DataError(f"{len(names)} groups (document sections) cannot fill {k} folds")
    rng = np.random.default_rng(seed)
    gindex = {g: i for i, g in enumerate(names)}
    rows_of = np.array([gindex[g] for g in groups])
    gy = np.zeros((len(names), y.shape[1]))
    np.add.at(gy, rows_of, y)
    gsize = np.bincount(rows_of, minlength=len(names)).astype(float)
    want = np.tile(gy.sum(0) / k, (k, 1))  # [fold, tag] positives still wanted
    want_rows = np.full(k, gsize.sum() / k)
    fold_of_group = np.full(len(names), -1)
    order = rng.permutation(len(names))
    while (fold_of_group < 0).any():
        left = order[fold_of_group[order] < 0]
        counts = gy[left].sum(0)
        if counts.sum() > 0:
            tag = min((t for t in range(y.shape[1]) if counts[t] > 0), key=lambda t: (counts[t], t))
            holders = [g for g in left if gy[g, tag] > 0]
            holders.sort(key=lambda g: -gy[g, tag])  # big holders first, so small ones can balance
            for g in holders:
                score = np.stack([want[:, tag], want_rows, rng.random(k)], 1)
                f = int(np.lexsort((score[:, 2], score[:, 1], score[:, 0]))[-1])
                fold_of_group[g] = f
                want[f] -= gy[g]
                want_rows[f] -= gsize[g]
        else:
            for g in sorted(left, key=lambda g: -gsize[g]):
                f = int(np.lexsort((rng.random(k), want_rows))[-1])
                fold_of_group[g] = f
                want_rows[f] -= gsize[g]
    return fold_of_group[rows_of]


def split_train_dev(examples: Sequence[Example], tag_ids: Sequence[str], dev_fraction: float, seed: int,
                    group_by: str = "section") -> tuple[list[Example], list[Example]]:
    """Hold out about `dev_fraction` of the real paragraphs, whole sections at a time, stratified by tag.

    Train-only (synthetic) paragraphs always go to train. A `dev_fraction` of 0 holds out nothing.
    """
    if dev_fraction == 0:
        return list(examples), []
    real = [e for e in examples if not e.train_only]
    k = max(2, round(1 / dev_fraction))
    groups = [e.group if group_by == "section" else e.record.doc_id for e in real]
    folds = grouped_stratified_folds(groups, label_matrix([e.record for e in real], tag_ids), k, seed)
    dev_ids = {id(e) for e, f in zip(real, folds) if f == 0}
    train = [e for e in examples if id(e) not in dev_ids]
    dev = [e for e in real if id(e) in dev_ids]
    return train, dev
