"""The portability layer's rewrites (issue 17), each run on DuckDB and on Spark local[2].

Every rewrite fixes something measured wrong with plain sqlglot 30 (docs/DECISIONS.md): each
test runs the DuckDB SQL on DuckDB, its Spark form on Spark, and asks for the same rows. One
Spark session serves the module (and the identity test's, in the same process).
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from typing import Any

import duckdb
import pytest
import sqlglot

from outcomes.config import Settings
from outcomes.core.portable.macro_expansion import expand_macros
from outcomes.core.portable.portability_checks import portability_problems
from outcomes.core.portable.spark_rewrites import asof_as_window_join
from outcomes.core.portable.spark_sql import to_spark
from outcomes.core.registry import load_registry
from outcomes.store.sqlfunctions import build_settings, install
from tests.conftest import ROOT
from tests.test_cli import run

pytest.importorskip("pyspark")

SETTINGS = build_settings(Settings(timezone="America/New_York"), as_of="2026-11-19 12:00:00")


@pytest.fixture(scope="module")
def spark() -> Any:
    from outcomes.build.spark.session import spark_session

    return spark_session("local[2]")


def on_duckdb(sql: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        install(con, Settings(timezone="America/New_York"), as_of=SETTINGS["as_of"])
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


def on_spark(spark: Any, sql: str) -> list[tuple]:
    return sorted((tuple(r) for r in spark.sql(to_spark(sql, SETTINGS)).collect()), key=repr)


DAYS = """with days as (
    select (date '2023-12-25' + i::integer)::date as d from range(0, 400) as r(i)
)"""


def test_week_macros_start_weeks_on_the_configured_day(spark: Any) -> None:
    sql = f"{DAYS} select d, week_of_date(d) as w, week_of(d::timestamp) as wt from days"
    duck = on_duckdb(sql)
    assert {w.isoweekday() for _, w, _ in duck} == {1}  # Mondays (week_start 1)
    assert on_spark(spark, sql) == duck
    # what plain sqlglot makes of isodow: Sunday 2 (ISO: 7), so weeks start on a Saturday
    plain = sqlglot.transpile("select isodow(date '2026-11-15')", read="duckdb", write="spark")
    assert spark.sql(plain[0]).collect()[0][0] == 2
    assert on_spark(spark, "select isodow(date '2026-11-15')") == [(7,)]


def test_decimal_products_keep_duckdbs_scale(spark: Any) -> None:
    sql = """select
        cast(1.2345678901 as decimal(38, 10)) * cast(2.0000000003 as decimal(38, 10)) as p,
        cast(479.9988 as decimal(38, 10)) * cast(1.0000025 as decimal(38, 10)) as q"""
    duck, spk = on_duckdb(sql), on_spark(spark, sql)
    assert [Decimal(x) for x in spk[0]] == [Decimal(x) for x in duck[0]]
    assert duck[0][0] == Decimal("2.46913578057037036703")


def test_ordered_lists_keep_their_order(spark: Any) -> None:
    sql = """with t as (select * from (values (1, 'c', 3), (1, 'a', 1), (1, 'b', 2), (2, 'z', 9),
        (2, 'y', 1)) as v(g, x, y))
    select g, list(x order by y) as xs, list(distinct y order by y) as ys from t group by g"""
    duck = on_duckdb(sql)
    assert duck[0][1] == ["a", "b", "c"]
    assert [(g, list(xs), list(ys)) for g, xs, ys in on_spark(spark, sql)] == duck


ASOF = """with l as (select * from (values (1, 1.0), (1, 2.5), (1, 9.0), (2, 0.5), (2, 3.0))
        as v(k, x)),
    r as (select * from (values (1, 1.0, 'a'), (1, 2.0, 'b'), (1, 5.0, 'c'), (2, 1.0, 'd'))
        as v(k, y, label))
select l.k, l.x, r.label from l asof left join r on r.k = l.k and l.x >= r.y"""


def test_asof_joins_become_window_sql_that_both_engines_run(spark: Any) -> None:
    duck = on_duckdb(ASOF)
    assert duck == sorted(
        [(1, 1.0, "a"), (1, 2.5, "b"), (1, 9.0, "c"), (2, 0.5, None), (2, 3.0, "d")], key=repr
    )
    window = asof_as_window_join(sqlglot.parse_one(ASOF, read="duckdb")).sql("duckdb")
    assert "ASOF JOIN" not in window.upper()
    assert on_duckdb(window) == duck  # the portable form, on DuckDB
    inner = ASOF.replace("asof left join", "asof join")
    assert on_spark(spark, ASOF) == duck
    assert on_spark(spark, inner) == on_duckdb(inner)


def test_json_list_operations(spark: Any) -> None:
    sql = """with q as (select * from (values
        ('[{"rule": "required"}, {"rule": "range"}]'), ('[{"rule": "duplicate_key"}]'),
        ('[]')) as v(failures))
    select failures,
        list_contains(json_extract_string(failures, '$[*].rule'), 'required') as has_required,
        list_has_any(json_extract_string(failures, '$[*].rule'),
            ['duplicate_key', 'duplicate_row']) as is_duplicate
    from q"""
    duck = on_duckdb(sql)
    assert [r[1:] for r in duck] == [(False, False), (False, True), (True, False)]
    assert on_spark(spark, sql) == duck


def test_macros_are_inlined_with_the_same_results_on_duckdb(spark: Any) -> None:
    sql = """with calendar as (select * from (values (date '2026-11-09', false),
        (date '2026-11-16', true)) as v(week_start, is_partial)),
    rows as (select * from (values (date '2026-11-09', 1.0, 'a', 's1'),
        (date '2026-11-09', 3.0, 'b', 's2'), (date '2026-11-16', 5.0, 'a', 's1'))
        as v(week_start, x, segment, system)),
    shaped as (select week_start, system, {'segment': segment} as dims, x from rows)
    select week_start, system, dims.segment as segment, value, n,
        partial_flag(week_start, calendar := 'calendar') as flag
    from weekly_quantile('shaped', 0.5, calendar := 'calendar')"""
    expanded = expand_macros(sql, SETTINGS)
    assert "weekly_quantile(" not in expanded.lower() and "partial_flag(" not in expanded.lower()
    duck = on_duckdb(sql)
    # per week: (system, segment) cells, system totals, segments over all systems, the total
    assert len(duck) == 7 + 4 and ("partial" in {r[5] for r in duck})
    assert on_duckdb(expanded) == duck
    assert on_spark(spark, sql) == duck


def test_settings_and_time_zones_are_inlined(spark: Any) -> None:
    sql = """select setting('currency') as c, local_ts(timestamp '2026-07-01 03:30:00') as t,
        week_of(timestamp '2026-11-16 03:00:00') as w"""
    duck = on_duckdb(sql)
    assert duck == [("USD", dt.datetime(2026, 6, 30, 23, 30), dt.date(2026, 11, 9))]
    assert on_spark(spark, sql) == duck


def test_validate_portable_names_the_line_that_does_not_port(tmp_path) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql)
    path = sql / "metrics" / "event_volume.sql"
    text = path.read_text()
    lines = text.splitlines()
    target = next(i for i, line in enumerate(lines) if "count(*)" in line.lower())
    lines[target] = lines[target].replace("count(*)", "count(*) + list_reverse([1])[1] - 1", 1)
    path.write_text("\n".join(lines) + "\n")
    registry = load_registry(sql)
    problems = portability_problems(registry.get("metrics.event_volume"), SETTINGS)
    assert [p.line for p in problems] == [target + 1]
    assert "list_reverse()" in problems[0].message
    result = run(["validate", "--portable"], OUTCOMES_SQL_DIR=str(sql))
    assert result.returncode == 1
    assert f"event_volume.sql:{target + 1}:" in result.stderr
    assert run(["validate"], OUTCOMES_SQL_DIR=str(sql)).returncode == 0


def test_every_shipped_definition_ports() -> None:
    registry = load_registry(ROOT / "sql")
    assert [str(p) for d in registry.topological() for p in portability_problems(d, SETTINGS)] == []


def test_load_files_written_before_the_correction_flag_read_it_as_null(
    spark: Any, tmp_path
) -> None:
    """Spark reads the raw store's own load files: one written before ingest flagged corrections
    has no ``_correction`` column, and the staging SQL reads it (null: rank the load's keys)."""
    from outcomes.build.spark.raw_export import register_raw

    old, new = tmp_path / "old.parquet", tmp_path / "new.parquet"
    con = duckdb.connect()
    con.execute(f"copy (select 'E1' as event_id, 'L1' as _load_id) to '{old}' (format parquet)")
    con.execute(
        f"copy (select 'E2' as event_id, 'L2' as _load_id, true as _correction) to '{new}' "
        "(format parquet)"
    )
    con.close()
    register_raw(spark, {"ai_events": [old], "feedback": [old, new]})
    rows = spark.sql("select event_id, _correction from raw__ai_events").collect()
    assert [tuple(r) for r in rows] == [("E1", None)]
    both = spark.sql("select event_id, _correction from raw__feedback order by 1").collect()
    assert [tuple(r) for r in both] == [("E1", None), ("E2", True)]
