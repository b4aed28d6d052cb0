"""Fixtures shared by the app's tests."""

from __future__ import annotations

import pytest

from tests.browserharness import chromium


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, one per test module (browser tests only)."""
    with chromium() as b:
        yield b
