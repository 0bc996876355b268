"""Shared fixtures: the ../shared folder (corpus, data) when it is there."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_path() -> Path:
    return Path(os.environ.get("CASETAG_SHARED", REPO.parent / "shared"))


@pytest.fixture
def shared() -> Path:
    """../shared beside the repository (CI has it); tests that need it skip without it."""
    path = shared_path()
    if not (path / "corpus").is_dir():
        pytest.skip(f"{path} is not present (set CASETAG_SHARED to its location)")
    return path
