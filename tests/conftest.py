"""Shared fixtures: a writable copy of the shipped data folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wcitsim.data import default_data_dir


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the package's data files that a test may break."""
    target = tmp_path / "data"
    target.mkdir()
    for name in ("states.csv", "wcit2012_record.csv", "facts.toml"):
        shutil.copy(default_data_dir() / name, target / name)
    return target
