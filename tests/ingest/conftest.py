"""Fixtures shared by the ingest tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A raw store of its own under the test's tmp folder (nothing else is configured)."""
    return Settings(raw_path=tmp_path / "store" / "raw.duckdb")
