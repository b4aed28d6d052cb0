"""The page warmer (outcomes/app/warmup.py): a new snapshot's figures are computed before
anyone opens a page, and a hand-edited list cannot make the server call anything else."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import types
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest

from outcomes.app import streamlit_glue as glue
from outcomes.app.views.systems import SystemVersion
from outcomes.app.warmup import Warmer, decode, encode, resolve
from tests.apphelpers import ROOT


def test_plain_values_round_trip_and_nothing_else_is_recorded():
    args = (
        "triage",
        dt.date(2026, 3, 9),
        dt.datetime(2026, 3, 9, 12, 30),
        4,
        0.5,
        None,
        True,
        ("a", 1),
    )
    assert decode(json.loads(json.dumps(encode(args)))) == args
    for value in ([1, 2], {"a": 1}, object(), {1, 2}):
        with pytest.raises(TypeError):
            encode(value)
    version = SystemVersion("triage", "production", dt.date(2026, 1, 5), "ops", None, 1000,
                            Decimal("12.50"), 24.0, None)  # fmt: skip
    assert decode(json.loads(json.dumps(encode((version,))))) == (version,)
    for value in (
        {"pickle": "gASV"},
        {"date": 3},
        [1],
        {"tuple": "ab"},
        {"record": "subprocess:Popen", "fields": {"args": "id"}},
        {"record": "outcomes.app.warmup:Warmer", "fields": {}},  # a class, not a dataclass
    ):
        with pytest.raises(ValueError):
            decode(value)


def test_a_hand_edited_list_cannot_make_the_server_call_anything_else(tmp_path):
    """Attack: someone who can write the data folder edits the list to run a command, a
    private function or a class. Only a public function of outcomes.app is computed."""
    marker = tmp_path / "pwned"
    entries = [
        {"module": "os", "function": "system", "args": {"tuple": [f"touch {marker}"]}},
        {"module": "outcomes.app.warmup", "function": "_private", "args": {"tuple": []}},
        {"module": "outcomes.app.warmup", "function": "Warmer", "args": {"tuple": []}},
        {"module": "outcomes.app.warmup", "function": "os", "args": {"tuple": []}},
        {"module": "outcomes.app.queries", "function": "__import__", "args": {"tuple": []}},
        {"module": "outcomes.app.nothing_here", "function": "f", "args": {"tuple": []}},
        {"module": "outcomes.app.warmup", "function": "encode", "args": {"tuple": [1]}},
        {"module": "outcomes.app.warmup", "function": "decode", "args": ["not", "a", "tuple"]},
        {
            "module": "outcomes.app.warmup",
            "function": "encode",
            "args": {"tuple": [{"record": "subprocess:Popen", "fields": {"args": "id"}}]},
        },
        "not an entry",
    ]
    path = tmp_path / "warehouse.duckdb.warm.json"
    path.write_text(json.dumps(entries))
    computed = []
    warm = Warmer(path, lambda m, n, key, args: computed.append((m, n, key, args)), lambda: "k1")
    report = warm.warm()
    assert computed == [("outcomes.app.warmup", "encode", "k1", (1,))]
    assert report["computed"] == 1 and report["skipped"] == 6, report
    assert not marker.exists()
    assert resolve("os", "system") is None and resolve("outcomes.app.warmup", "encode") is encode


def test_the_list_keeps_the_most_recent_plain_calls_and_survives_a_restart(tmp_path):
    path = tmp_path / "w.warm.json"
    warm = Warmer(path, lambda *a: None, lambda: None)
    warm.saw("outcomes.app.queries", "a", (1,))
    warm.saw("outcomes.app.queries", "b", (dt.date(2026, 1, 5),))
    warm.saw("outcomes.app.queries", "c", ([1],))  # a list: not a plain value, not kept
    warm.saw("elsewhere", "d", ())  # not outcomes.app: not kept
    warm.saw("outcomes.app.queries", "a", (1,))  # seen again: now the most recent
    assert [n for _, n, _ in warm.calls()] == ["a", "b"]
    warm.warm()  # nothing to compute without a snapshot, but the list is saved
    again = Warmer(path, lambda *a: None, lambda: None)
    assert again.calls() == warm.calls()


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


def test_a_new_snapshot_is_warmed_before_the_page_is_opened(
    demo_root, demo_env, tmp_path, monkeypatch
):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(demo_root / "warehouse.duckdb", data / "warehouse.duckdb")
    shutil.copyfile(
        demo_root / "warehouse.duckdb.manifest.json", data / "warehouse.duckdb.manifest.json"
    )
    monkeypatch.setenv("OUTCOMES_WAREHOUSE_PATH", str(data / "warehouse.duckdb"))
    monkeypatch.setenv("OUTCOMES_WARM_PAGES", "true")

    def roi() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        at.switch_page("app_pages/roi.py")
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    roi()
    warm = glue.warmer()
    assert warm is not None
    warm.stop()  # the test warms by hand, so the thread's timing does not matter
    assert len(warm.calls()) >= 5, warm.calls()
    misses = _Misses()
    monkeypatch.setattr(glue, "importlib", misses.shim)

    # control: a new snapshot not warmed, the page computes its figures itself
    _new_snapshot(data / "warehouse.duckdb")
    roi()
    assert len(misses.names) >= 5, misses.names

    # a new snapshot warmed: the page computes nothing
    _new_snapshot(data / "warehouse.duckdb")
    report = warm.warm()
    assert report["computed"] >= 5 and report["failed"] == 0, report
    misses.names.clear()
    roi()
    # only the working of the headline figures is computed by the page: its argument is the
    # page's summaries, frames that are not recorded, so it is not warmed (a trace per figure)
    assert set(misses.names) <= {"outcomes.app.views.roi.figure_working"}, misses.names
    saved = json.loads((data / "warehouse.duckdb.warm.json").read_text())
    assert {e["module"] for e in saved} <= {m for m, _, _ in warm.calls()}
