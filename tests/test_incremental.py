"""Incremental build == full build, after one new week arrives (small demo data)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from metrics import build as build_module
from metrics.build import build_snapshot
from metrics.demo_pipeline import run_demo
from metrics.ingest import ingest_path
from tests.conftest import ROOT, settings_for

sys.path.insert(0, str(ROOT / "benchmarks"))
from newweek import write_new_week  # noqa: E402

END = dt.date(2026, 3, 4)  # in the past, so the shifted week is not in the future
AS_OF = dt.datetime(2026, 3, 20, 12, 0, 0)


def _plain(v: object) -> object:
    """Numbers as floats (also inside JSON extras), for a tolerant comparison."""
    if isinstance(v, (float, Decimal)):
        return float(v)
    if isinstance(v, str) and v.startswith("{"):
        try:
            return tuple(sorted((k, _plain(x)) for k, x in json.loads(v).items()))
        except ValueError:
            return v
    return v


def _rounded(v: object) -> object:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, tuple):
        return tuple(_rounded(x) for x in v)
    return v


def _key_full(row: tuple) -> str:
    # sort on the values with numbers rounded, so the rows of two builds line up
    return repr(_rounded(row))


def _norm(row: tuple) -> tuple:
    return tuple(_plain(v) for v in row)


def _close(a: object, b: object) -> bool:
    # DuckDB sums doubles in parallel, in no fixed order: two full builds of the same data
    # can differ in the last bits (and so can DECIMALs cast from such sums)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def same_rows(a: list[tuple], b: list[tuple]) -> bool:
    """Equal row multisets, doubles to 1e-9 relative."""
    return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))


def _tables(path: Path) -> dict[str, list]:
    """Every metric/ROI/staging table and the long table, rows sorted (order-free compare)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            f"{s}.{t}"
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where schema_name in ('staging_data', 'metrics', 'roi') order by 1, 2"
            ).fetchall()
        ]
        out = {
            n: sorted(map(_norm, con.execute(f"select * from {n}").fetchall()), key=_key_full)
            for n in names
        }
        for extra in ("main.metric_values", "main.alerts", "raw.loads"):
            out[extra] = sorted(
                map(_norm, con.execute(f"select * from {extra}").fetchall()), key=_key_full
            )
        out["tests"] = sorted(
            con.execute("select name, test, status, failing_rows from main.build_tests").fetchall()
        )
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("incremental")
    settings = settings_for(root)
    mp = pytest.MonkeyPatch()
    mp.setattr(build_module, "_utcnow", lambda: AS_OF)
    try:
        assert run_demo(settings, events=6_000, end=END, loaded_by="pytest") == 0
        last_complete = END - dt.timedelta(days=END.weekday() + 7)
        new = write_new_week(settings.demo_dir, root / "new-week", last_complete)
        for table, path in new.items():
            ingest_path(path, table, settings, loaded_by="pytest")
        inc = build_snapshot(settings, incremental=True)
        full_settings = settings.model_copy(update={"warehouse_path": root / "full.duckdb"})
        full = build_snapshot(full_settings)
        yield inc, full, settings, full_settings
    finally:
        mp.undo()


def test_incremental_equals_full(two_builds):
    inc, full, settings, full_settings = two_builds
    assert inc.ok and full.ok
    a, b = _tables(settings.warehouse_path), _tables(full_settings.warehouse_path)
    assert a.keys() == b.keys()
    different = [name for name in a if not same_rows(a[name], b[name])]
    assert different == []


def test_manifest_says_what_was_reused(two_builds):
    inc, _, settings, _ = two_builds
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        modes = dict(
            con.execute(
                "select name, mode from main.build_reuse where kind != 'staging'"
            ).fetchall()
        )
    finally:
        con.close()
    assert modes["latency_p95"] == "weeks"  # week-local: only the new week(s) recomputed
    assert modes["mean_time_to_detect"] == "reused"  # reads incidents only: nothing new
    assert set(modes.values()) <= {"reused", "weeks", "full"}


def test_incremental_without_base_is_full(tmp_path):
    settings = settings_for(tmp_path)
    messages: list[str] = []
    assert run_demo(settings, events=2_000, end=END, build=False) == 0
    result = build_snapshot(settings, progress=messages.append, incremental=True)
    assert result.ok
    assert any("no current snapshot; full build" in m for m in messages)


def test_a_changed_assumption_is_not_reused(tmp_path):
    # no new load, only the register file changed: the ROI must follow it, as a full build does
    register = tmp_path / "assumptions.csv"
    register.write_text((ROOT / "assumptions.csv").read_text())
    settings = settings_for(tmp_path / "p", assumptions_file=register)
    assert run_demo(settings, events=3_000, end=END, loaded_by="pytest") == 0
    with register.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["key"] == "loaded_hourly_cost":
            row["value"] = str(Decimal(row["value"]) + 20)
            row["high"] = str(Decimal(row["high"]) + 20)
    with register.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert build_snapshot(settings, incremental=True).ok
    full_settings = settings.model_copy(update={"warehouse_path": tmp_path / "full.duckdb"})
    assert build_snapshot(full_settings).ok
    query = "select week_start, amount from roi.time_saved order by 1"
    got = {}
    for name, path in (("inc", settings.warehouse_path), ("full", full_settings.warehouse_path)):
        con = duckdb.connect(str(path), read_only=True)
        try:
            got[name] = con.execute(query).fetchall()
            if name == "inc":
                mode = con.execute(
                    "select mode from main.build_reuse where name = 'assumptions'"
                ).fetchall()
        finally:
            con.close()
    assert got["inc"] and got["inc"] == got["full"]
    assert mode == [("full",)]
