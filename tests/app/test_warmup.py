"""The page warmer (outcomes/app/warmup.py): the server's thread computes a new snapshot's
figures before anyone opens a page, from what the pages asked for in this process only."""

from __future__ import annotations

import json
import os
import shutil
import time
import types

import pytest
from streamlit.testing.v1 import AppTest

from outcomes.app import queries, warmup
from outcomes.app import streamlit_glue as glue
from outcomes.app.warmup import Warmer
from outcomes.store.parts import copy_snapshot
from tests.apphelpers import ROOT


def test_the_list_keeps_the_most_recent_hashable_calls():
    warm = Warmer(lambda *a: None, lambda: None)

    def a(con, x):
        return x

    def b(con, x):
        return x

    warm.saw(a, (1,))
    warm.saw(b, ("w",))
    warm.saw(b, ([1],))  # a list cannot be a cache key: not kept
    warm.saw(a, (1,))  # seen again: now the most recent
    assert warm.calls() == [(a, (1,)), (b, ("w",))]


def test_a_failing_figure_does_not_stop_the_others(tmp_path):
    done = []

    def boom(con):
        raise RuntimeError("no such table")

    def fine(con):
        return 1

    warm = Warmer(
        lambda func, key, args: done.append(func(None, *args)),
        lambda: ("snap", 1),
        status_path=tmp_path / "w.warm-status.json",
    )
    warm.saw(fine, ())
    warm.saw(boom, ())
    report = warm.warm()
    assert done == [1] and report["computed"] == 1 and report["failed"] == 1, report
    assert json.loads((tmp_path / "w.warm-status.json").read_text())["computed"] == 1


@pytest.mark.parametrize("name", ["/etc/passwd", "../../../tmp/evil", "..", "a/b", "A", ""])
def test_an_app_query_is_named_by_its_file_only(name):
    """Attack: a caller passes a path as the query's name to run a SQL file from elsewhere."""
    with pytest.raises(queries.UnknownQuery, match="named by its file"):
        queries.query_text(name)


class _Misses:
    """Counts the figures ``streamlit_glue.load`` had to compute (its cache misses)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        real = glue.importlib

        def import_module(name: str):
            self.names.append(name)
            return real.import_module(name)

        self.shim = types.SimpleNamespace(import_module=import_module)


def _new_snapshot(path) -> None:
    """The snapshot file replaced, as a build does (a new inode and time: a new cache key)."""
    copy = path.with_name("next.duckdb")
    shutil.copyfile(path, copy)
    os.replace(copy, path)


def _wait_until_warmed(warm: Warmer, key, timeout_s: float = 120) -> dict:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if warm.warmed == key and warm.last_run.get("snapshot") == list(key):
            return warm.last_run
        time.sleep(0.05)
    raise AssertionError(f"not warmed in {timeout_s} s: {warm.last_run}")


@pytest.fixture
def warming(demo_root, demo_env, tmp_path, monkeypatch):
    """The app on a copy of the demo snapshot, with the warmer on (polling fast)."""
    data = tmp_path / "data"
    data.mkdir()
    copy_snapshot(demo_root / "warehouse.duckdb", data / "warehouse.duckdb")  # with its parts
    shutil.copyfile(
        demo_root / "warehouse.duckdb.manifest.json", data / "warehouse.duckdb.manifest.json"
    )
    monkeypatch.setenv("OUTCOMES_WAREHOUSE_PATH", str(data / "warehouse.duckdb"))
    monkeypatch.setenv("OUTCOMES_WARM_PAGES", "true")
    monkeypatch.setattr(warmup, "POLL_SECONDS", 0.05)
    glue.stop_warming()
    yield data / "warehouse.duckdb"
    glue.stop_warming()


def _roi() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/roi.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_servers_thread_warms_a_new_snapshot_before_the_page_is_opened(warming, monkeypatch):
    _roi()  # the app starts the warmer; the page's figures are remembered
    warm = glue.warmer()
    assert warm is not None and len(warm.calls()) >= 5, warm and warm.calls()
    misses = _Misses()
    monkeypatch.setattr(glue, "importlib", misses.shim)

    # control: with the thread stopped, a new snapshot's page computes its figures itself
    warm.stop()
    _new_snapshot(warming)
    _roi()
    assert len(misses.names) >= 5, misses.names

    # the thread running: it sees the new snapshot and computes them first
    warm.start()
    _new_snapshot(warming)
    report = _wait_until_warmed(warm, glue.snapshot_key())
    assert report["computed"] >= 5 and report["failed"] == 0, report
    misses.names.clear()
    _roi()
    # only the working of the headline figures is computed by the page: its argument is the
    # page's summaries (frames, not hashable), so it is not remembered
    assert set(misses.names) <= {"outcomes.app.views.roi.figure_working"}, misses.names
    status = json.loads(warming.with_name("warehouse.duckdb.warm-status.json").read_text())
    assert status["computed"] == report["computed"] and status["pid"] == os.getpid()


def test_warming_off_remembers_nothing_and_starts_no_thread(demo_env, monkeypatch):
    monkeypatch.setenv("OUTCOMES_WARM_PAGES", "false")
    glue.stop_warming()
    _roi()
    assert glue.warmer() is None
    assert not [t for t in __import__("threading").enumerate() if t.name == "outcomes-warmup"]
