"""Identity (issue 17): every staging table, metric and ROI line built on Spark local[2] from the
same demo as on DuckDB has the same values: exact for counts, money, text and dates, 1e-9
relative for DOUBLE statistics. One test per definition; one Spark build for the module.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

from outcomes.build.full import build_snapshot
from outcomes.config import DriftSettings
from outcomes.core.registry import load_registry
from outcomes.store.snapshot import open_file
from tests.conftest import DEMO_END, ROOT, settings_for

pytest.importorskip("pyspark")

EVENTS = 3_000  # small: the Spark build is ~100x slower than DuckDB's at demo size
# ~60 events a week, fewer in the first (reference) weeks: with the default 200 rows every
# drift test would be insufficient and drift_share empty on both engines
DRIFT = DriftSettings(min_rows=5)
DEFINITIONS = [d.qualified for d in load_registry(ROOT / "sql").topological()]


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from outcomes.demo_pipeline import run_demo

    root = tmp_path_factory.mktemp("spark-identity")
    assert run_demo(settings_for(root), events=EVENTS, end=DEMO_END, build=False) == 0
    _judge_some_outputs(root)
    paths = {}
    for engine in ("duckdb", "spark"):
        settings = settings_for(root, warehouse_path=root / f"{engine}.duckdb", drift=DRIFT)
        result = build_snapshot(settings, engine=engine)
        assert result.status == "ok", [o.error for o in result.objects if o.status != "ok"]
        paths[engine] = result.path
    return paths


def _judge_some_outputs(root: Path) -> None:
    """Verdicts on 60 outputs (a later one replacing an earlier), so reviewed_accuracy has rows."""
    from outcomes.store.state import StateStore

    con = duckdb.connect(str(root / "raw.duckdb"), read_only=True)
    con.execute(f"set file_search_path = '{root / 'raw.segments'}'")  # the load files
    try:
        events = con.execute(
            "select event_id, (occurred_at::date - (isodow(occurred_at::date) - 1)::integer)::date "
            "from raw.raw.ai_events order by event_id limit 60"
        ).fetchall()
    finally:
        con.close()
    store = StateStore(root / "state.sqlite")
    for i, (event_id, week) in enumerate(events):
        store.record_verdict(event_id, week, "correct" if i % 3 else "incorrect", "pytest")
    store.record_verdict(events[0][0], events[0][1], "correct", "pytest")


def _rows(path: Path, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    con = open_file(path)
    try:
        types = [str(t) for _, t, *_ in con.execute(f"describe {table}").fetchall()]
        return types, con.execute(f"select * from {table} order by all").fetchall()
    finally:
        con.close()


def _same(a: Any, b: Any, column_type: str) -> bool:
    if column_type == "DOUBLE" and isinstance(a, float) and isinstance(b, float):
        both_nan = math.isnan(a) and math.isnan(b)
        return a == b or both_nan or math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)
    return a == b and type(a) is type(b)


@pytest.mark.parametrize("name", DEFINITIONS)
def test_spark_builds_what_duckdb_builds(snapshots: dict[str, Path], name: str) -> None:
    schema, table = name.split(".")
    target = f"staging_data.{table}" if schema == "staging" else name
    duck_types, duck = _rows(snapshots["duckdb"], target)
    spark_types, spark = _rows(snapshots["spark"], target)
    assert spark_types == duck_types
    assert len(spark) == len(duck)
    assert duck, f"{name} is empty: the test proves nothing"
    diffs = [
        (i, j, x[j], y[j])
        for i, (x, y) in enumerate(zip(duck, spark, strict=True))
        for j, column_type in enumerate(duck_types)
        if not _same(x[j], y[j], column_type)
    ]
    assert diffs == [], f"{name}: {len(diffs)} values differ, first {diffs[:3]}"


def test_the_comparison_is_strict_for_money_and_loose_only_for_doubles() -> None:
    from decimal import Decimal

    assert not _same(Decimal("480.0"), Decimal("479.9988"), "DECIMAL(38,10)")
    assert _same(1.0, 1.0 + 1e-12, "DOUBLE")
    assert not _same(1.0, 1.0 + 1e-12, "DECIMAL(38,10)")
    assert not _same(1.0, 1.0 + 1e-8, "DOUBLE")
