"""The batch job: paragraph units in, suggestions (tags over threshold, every score) out."""
from __future__ import annotations

import sys
from typing import Iterable, Iterator

from tqdm import tqdm

from inference.onnx_model import OnnxTagger
from labels.records import Suggestion, Unit


def prelabel(units: Iterable[Unit], tagger: OnnxTagger, *, batch_size: int = 1,
             chunk: int = 512) -> Iterator[list[Suggestion]]:
    """Score units `chunk` at a time (length-bucketed inside each chunk); yields each chunk's suggestions."""
    card = tagger.card
    model = {"name": card.name, "version": card.version, "taxonomy": card.taxonomy_version}
    pending: list[Unit] = []

    def flush() -> list[Suggestion]:
        texts = [card.format_input(u.text, u.section, u.section_kind) for u in pending]
        out = []
        for unit, row in zip(pending, tagger.scores(texts, batch_size=batch_size)):
            scores = {t: float(s) for t, s in zip(tagger.tags, row)}
            over = sorted(((t, scores[t]) for t, th in zip(tagger.tags, tagger.thresholds) if scores[t] >= th),
                          key=lambda x: -x[1])
            out.append(Suggestion(unit=unit, tags=over, scores=scores, model=model))
        pending.clear()
        return out

    for unit in units:
        pending.append(unit)
        if len(pending) >= chunk:
            yield flush()
    if pending:
        yield flush()


def with_progress(units: list[Unit], *, enabled: bool = True) -> Iterator[Unit]:
    """Units with a progress bar on stderr (paragraphs)."""
    yield from tqdm(units, desc="prelabel", unit="para", disable=None if enabled else True,
                    file=sys.stderr, smoothing=0.1)
