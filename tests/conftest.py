"""Shared fixtures: one demo warehouse per test session, built through the real pipeline."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from outcomes.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEMO_END = dt.date(2026, 11, 18)  # a Wednesday: 52 complete weeks + a partial one
DEMO_EVENTS = 60_000
# The clock of every build in the tests: the day after DEMO_END, so the demo's week of
# 2026-11-16 is the current (partial) one and 2026-11-09 the last complete one, whatever the
# date the suite runs on (with the real clock the calendar runs on past the demo's data).
BUILD_AS_OF = dt.datetime(2026, 11, 19, 12, 0, 0)


def settings_for(root: Path, **overrides: object) -> Settings:
    """Settings whose every file lives under ``root`` (SQL stays the project's); their builds
    run as of BUILD_AS_OF unless ``build_as_of`` is given."""
    return Settings(
        **{
            "warehouse_path": root / "warehouse.duckdb",
            "raw_path": root / "raw.duckdb",
            "state_path": root / "state.sqlite",
            "demo_dir": root / "demo",
            "build_as_of": BUILD_AS_OF,
            **overrides,
        }  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tmp folder with the demo generated, ingested and built (once per session)."""
    from outcomes.demo_pipeline import run_demo

    root = tmp_path_factory.mktemp("demo-warehouse")
    code = run_demo(settings_for(root), events=DEMO_EVENTS, end=DEMO_END, loaded_by="pytest")
    assert code == 0, "the demo build failed"
    return root


@pytest.fixture(scope="session")
def demo_settings(demo_root: Path) -> Settings:
    return settings_for(demo_root)


@pytest.fixture
def demo_env(demo_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """Point the app and the CLI at the session's demo warehouse (own state store per test);
    their builds run as of BUILD_AS_OF."""
    env = {
        "OUTCOMES_WAREHOUSE_PATH": str(demo_root / "warehouse.duckdb"),
        "OUTCOMES_RAW_PATH": str(demo_root / "raw.duckdb"),
        "OUTCOMES_STATE_PATH": str(tmp_path / "state.sqlite"),
        "OUTCOMES_DEMO_DIR": str(demo_root / "demo"),
        "OUTCOMES_BUILD_AS_OF": BUILD_AS_OF.isoformat(),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ROOT)
    return Settings()


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Streamlit caches are process-wide: clear them so tests do not leak into each other."""
    yield
    if "streamlit" in __import__("sys").modules:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    # AppTest runs the app as `make run` does: on loopback, so single-user mode unless a test
    # configures [auth] (SECURITY.md)
    os.environ.setdefault("STREAMLIT_SERVER_ADDRESS", "127.0.0.1")
    # the page warmer's thread (outcomes/app/warmup.py) would outlive each test's caches and
    # folders: off in tests, except in tests/app/test_warmup.py, which turns it on
    os.environ.setdefault("OUTCOMES_WARM_PAGES", "false")
