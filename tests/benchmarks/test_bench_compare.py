"""benchmarks/compare.py: the 10M-scale snapshot comparison of `make bench-large`."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from compare import compare  # noqa: E402


def _snapshot(path: Path, rows: list[tuple], extras: str = '{"n": 0.3}') -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema metrics")
    con.execute("create table metrics.m (week_start date, value double, n bigint)")
    con.executemany("insert into metrics.m values (?, ?, ?)", rows)
    con.execute("create table main.metric_values (metric varchar, value double, extras varchar)")
    con.execute("insert into main.metric_values values ('m', 1.0, ?)", [extras])
    con.execute("create table main.alerts (metric varchar)")
    con.execute(
        "create table main.build_tests (build_id varchar, name varchar, status varchar, "
        "message varchar)"
    )
    con.execute(f"insert into main.build_tests values ('{path.stem}', 'm', 'pass', '')")
    con.close()
    return path


ROWS = [("2026-01-05", 0.1 + 0.2, 3), ("2026-01-12", 1e6 / 3, 4)]


def test_same_rows_in_another_order_and_build_are_identical(tmp_path):
    a = _snapshot(tmp_path / "a.duckdb", ROWS)
    b = _snapshot(tmp_path / "b.duckdb", ROWS[::-1])
    assert compare(a, b)["identical"]


def test_last_bit_differences_are_within_tolerance(tmp_path):
    a = _snapshot(tmp_path / "a.duckdb", ROWS, extras='{"n": 0.30000000000000004}')
    b = _snapshot(
        tmp_path / "b.duckdb",
        [("2026-01-05", 0.3, 3), ("2026-01-12", 1e6 / 3 * (1 + 1e-15), 4)],
        extras='{"n": 0.3}',
    )
    out = compare(a, b)
    assert out["identical"], out
    assert "main.metric_values" in out["within_tolerance"]


def test_a_different_value_or_a_missing_row_is_found(tmp_path):
    a = _snapshot(tmp_path / "a.duckdb", ROWS)
    b = _snapshot(tmp_path / "b.duckdb", [("2026-01-05", 0.31, 3), ROWS[1]])
    c = _snapshot(tmp_path / "c.duckdb", ROWS[:1])
    out = compare(a, b)
    assert not out["identical"]
    assert out["different"] == [{"table": "metrics.m", "only_a": 1, "only_b": 1}]
    assert compare(a, c)["different"] == [{"table": "metrics.m", "only_a": 1, "only_b": 0}]


def test_a_table_missing_from_one_snapshot_is_reported_not_a_crash(tmp_path):
    a = _snapshot(tmp_path / "a.duckdb", ROWS)
    b = _snapshot(tmp_path / "b.duckdb", ROWS)
    con = duckdb.connect(str(b))
    con.execute("drop table main.alerts")
    con.close()
    out = compare(a, b)
    assert not out["identical"] and out["only_in_one"] == ["main.alerts"]
