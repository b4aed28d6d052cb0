"""The benchmark's hand-written floor (benchmarks/floor_*.sql) computes the product's numbers.

The floor is what `make bench` divides the full build by, so it must compute the same
figures from the same input: the raw tables (the calendar of staging.weeks aside).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import duckdb
import pytest

from outcomes.build.full import build_snapshot
from outcomes.demo_pipeline import run_demo
from outcomes.ingest.load import ingest_path
from outcomes.store.segments import segments_root
from tests.conftest import settings_for

END = dt.date(2026, 3, 4)

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))
import floor  # noqa: E402


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory):
    """A small demo plus a correcting load per keyed table (new latency, confidence and week
    for some events, new values for some features, flipped labels), so the floor's ranking
    branch is exercised, then built."""
    root = tmp_path_factory.mktemp("floor")
    settings = settings_for(root)
    assert run_demo(settings, events=6_000, end=END, loaded_by="pytest") == 0
    src, fixes = settings.demo_dir, root / "fixes"
    fixes.mkdir()
    con = duckdb.connect()
    queries = {
        "ai_events": "select * replace ("
        "strftime(occurred_at::timestamp + interval 7 day, '%Y-%m-%d %H:%M:%S') as occurred_at, "
        "confidence::double / 2 as confidence, latency_ms::double + 1000 as latency_ms) "
        "from {scan} where hash(event_id) % 40 = 0",
        "ai_features": "select * replace (value_num::double * 3 + 1 as value_num, "
        "case when value_cat <> '' then 'fixed' else value_cat end as value_cat) "
        "from {scan} where hash(event_id || feature) % 30 = 0",
        "feedback": "select * replace (not correct::boolean as correct) "
        "from {scan} where hash(event_id) % 25 = 0",
    }
    for table, query in queries.items():
        scan = f"read_csv('{src / table}.csv', all_varchar = true, header = true)"
        con.execute(f"copy ({query.format(scan=scan)}) to '{fixes / table}.csv' (header)")
        [result] = ingest_path(fixes / f"{table}.csv", table, settings, loaded_by="pytest")
        assert result.rows_corrected > 0, result
    con.close()
    assert build_snapshot(settings).ok
    snap = floor.connect(settings.warehouse_path, segments_root(settings))
    yield snap
    snap.close()


@pytest.mark.parametrize("name", ["floor_rollup", "floor_drift"])
def test_floor_reads_the_raw_tables_not_the_products_staging(name):
    sql = (BENCH / f"{name}.sql").read_text()
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    assert set(re.findall(r"\bstaging\.(\w+)", code)) <= {"weeks"}
    assert "raw.ai_events" in code


def test_the_correcting_loads_changed_the_products_numbers(snapshot):
    # the corrected events moved a week: the newest version is the one staging keeps
    [(n,)] = snapshot.execute(
        "select count(*) from raw.ai_events as r inner join staging.ai_events as s "
        "on s.event_id = r.event_id and s.load_id = r._load_id "
        "where r._load_id in (select load_id from raw.loads where rows_corrected > 0)"
    ).fetchall()
    assert n > 50


def test_floor_rollup_matches_the_product(snapshot):
    rows = floor.run(snapshot, "floor_rollup")
    check = floor.check_rollup(snapshot, rows)
    assert check["compared"] > 100
    assert check["mismatches"] == 0, check["examples"]


def test_floor_drift_matches_the_product(snapshot):
    rows = floor.run(snapshot, "floor_drift")
    check = floor.check_drift(snapshot, rows)
    assert check["compared"] > 100
    assert check["mismatches"] == 0, check["examples"]


def test_the_floor_drift_run_per_system_gives_the_rows_of_one_run(snapshot):
    def keyed(rows: list[tuple]) -> dict:  # (kind, system/feature, week) -> psi, ks
        return {r[:3]: r[3:] for r in rows}

    def same(a: dict, b: dict) -> bool:  # doubles summed in another order: last bits differ
        return a.keys() == b.keys() and all(
            floor._close(x, y, 1e-12) for k in a for x, y in zip(a[k], b[k], strict=True)
        )

    whole = keyed(floor.run(snapshot, "floor_drift"))
    per_system = floor.run_per_system(snapshot, "floor_drift")
    assert len(per_system) == len(whole) and same(keyed(per_system), whole)
    assert len({r[1].split("/")[0] for r in per_system}) > 1  # more than one system ran
    check = floor.check_drift(snapshot, per_system)
    assert check["compared"] > 100 and check["mismatches"] == 0, check["examples"]
    # the variable is reset: a plain run sees every system again
    assert same(keyed(floor.run(snapshot, "floor_drift")), whole)


def test_floor_check_catches_a_wrong_number(snapshot):
    rows = floor.run(snapshot, "floor_drift")
    broken = [(*r[:3], (r[3] or 0) + 0.01, r[4]) if i == 0 else r for i, r in enumerate(rows)]
    assert floor.check_drift(snapshot, broken)["mismatches"] == 1
    assert isinstance(snapshot, duckdb.DuckDBPyConnection)


def test_naive_pandas_scipy_drift_agrees_with_the_product(snapshot):
    from naive_drift import compare, naive_drift

    [(path,)] = snapshot.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    out, _ = naive_drift(path)
    check = compare(path, out)
    assert check["compared"] > 100 and check["missing"] == 0
    assert check["agree"], check
