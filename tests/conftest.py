"""Shared fixtures: a hand-computable mini release written to a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from minirelease import write_mini


@pytest.fixture()
def mini(tmp_path: Path) -> Path:
    """The 3-task mini release of ``minirelease.py`` in a temp folder."""
    return write_mini(tmp_path)
