"""SQL macros and p-value functions against scipy and hand-worked calendars."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest
from scipy import stats

from outcomes.config import Settings
from outcomes.store.sqlfunctions import install


@pytest.fixture
def con():
    c = duckdb.connect()
    install(c, Settings(timezone="Europe/Berlin", week_start=7), as_of="2026-03-29 12:00:00")
    return c


def test_week_of_uses_time_zone_and_week_start(con):
    # Berlin is UTC+1 until 01:00 UTC on 2026-03-29: 22:59 UTC is Saturday 23:59, 23:30 UTC Sunday 00:30
    got = con.execute(
        "select week_of(timestamp '2026-03-28 22:59:00'), week_of(timestamp '2026-03-28 23:30:00')"
    ).fetchall()[0]
    assert got == (dt.date(2026, 3, 22), dt.date(2026, 3, 29))  # Sunday-start weeks


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC"])
def test_in_utc_local_time_is_the_timestamp_itself_without_a_conversion(zone):
    """The UTC shortcut of local_ts gives what the two ICU conversions give, for plain and
    zoned timestamps, week boundaries, DST dates elsewhere and nulls."""
    fast = duckdb.connect()
    install(fast, Settings(timezone=zone), as_of="2026-03-29 12:00:00")
    [(body,)] = fast.execute(
        "select macro_definition from duckdb_functions() where function_name = 'local_ts'"
    ).fetchall()
    assert "time zone" not in body.lower()
    values = """(values (timestamp '2026-03-29 00:59:59'), (timestamp '2026-03-29 01:00:00'),
        (timestamp '2026-10-25 00:30:00'), (timestamp '2026-11-22 23:59:59.999999'),
        (timestamp '2026-11-23 00:00:00'), (timestamp '1999-12-31 23:00:00'), (null)) t(ts)"""
    query = f"""select ts, local_ts(ts), week_of(ts), local_ts(ts::timestamptz),
        week_of(ts::timestamptz) from {values} order by ts nulls last"""
    slow = duckdb.connect()
    slow.execute("set TimeZone = 'UTC'")
    fast.execute("set TimeZone = 'UTC'")
    install(slow, Settings(timezone=zone), as_of="2026-03-29 12:00:00")
    slow.execute(
        "create or replace macro main.local_ts(ts) as "
        f"(ts::timestamp at time zone 'UTC') at time zone '{zone}'"
    )
    assert fast.execute(query).fetchall() == slow.execute(query).fetchall()


def test_ks_pvalue_matches_scipy_asymp_for_small_samples(con):
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=300), rng.normal(0.2, size=250)
    ref = stats.ks_2samp(a, b, method="asymp")
    got = con.execute("select ks_pvalue(?, 300, 250)", [float(ref.statistic)]).fetchall()[0][0]
    assert got == pytest.approx(ref.pvalue, rel=1e-12)


def test_chi2_sf_and_nulls(con):
    assert con.execute("select chi2_sf(7.5, 3)").fetchall()[0][0] == pytest.approx(
        stats.chi2.sf(7.5, 3), rel=1e-12
    )
    assert con.execute("select chi2_sf(null, 3), ks_pvalue(0.1, 0, 10)").fetchall()[0] == (
        None,
        None,
    )


def test_every_macro_is_documented_in_the_module_docstring():
    from outcomes.core.macros import MACROS
    from outcomes.store import sqlfunctions

    doc = sqlfunctions.__doc__ or ""
    missing = [m.name for m in MACROS if f"``{m.name}(" not in doc]
    assert missing == [], f"document these macros in outcomes/store/sqlfunctions.py: {missing}"


@pytest.fixture
def calendar(con):
    con.execute("create schema staging")
    con.execute(
        "create table staging.weeks as select * from (values "
        "(date '2026-03-16', false), (date '2026-03-23', true)) as w(week_start, is_partial)"
    )
    return con


def test_partial_and_coverage_flags(calendar):
    got = calendar.execute(
        "select partial_flag(date '2026-03-16'), partial_flag(date '2026-03-23'), "
        "coverage_flag(date '2026-03-16', 0.1), coverage_flag(date '2026-03-23', 0.1), "
        "coverage_flag(date '2026-03-16', 0.9)"
    ).fetchall()[0]
    assert got == (None, "partial", "provisional", "partial", None)


def test_weekly_quantile_is_the_grouping_set_query_it_replaces(calendar):
    calendar.execute(
        "create table t as select date '2026-03-16' + 7 * (i % 2)::int as week_start, "
        "['s1', 's2', null][i % 5 % 3 + 1] as system, "
        "['a', 'b', null][i % 3 + 1] as segment, i * 1.5 as x from range(60) as r(i)"
    )
    by_macro = calendar.execute(
        "with rows as (select week_start, system, {'segment': segment} as dims, x from t) "
        "select week_start, system, dims.segment as segment, value, n, flag "
        "from weekly_quantile('rows', 0.95) order by all"
    ).fetchall()
    # a row without a system counts over all systems only, never as a system of its own
    by_hand = calendar.execute(
        "select week_start, system, segment, quantile_cont(x, 0.95)::double, count(*)::double, "
        "partial_flag(week_start) from t "
        "group by grouping sets ((week_start, system, segment), (week_start, system), "
        "(week_start, segment), (week_start)) "
        "having grouping(system) = 1 or system is not null order by all"
    ).fetchall()
    # 2 weeks x (2 systems x (3 segments + total) + (3 segments + total))
    assert by_macro == by_hand and len(by_macro) == 24


def test_a_metric_calling_a_macro_depends_on_what_the_macro_reads():
    from outcomes.core.registry import load_registry
    from tests.sqlharness import SQL_DIR

    registry = load_registry(SQL_DIR)
    assert "staging.weeks" in registry.depends_on("metrics.latency_p95")  # weekly_quantile
    assert "staging.weeks" in registry.depends_on("metrics.inference_cost")  # partial_flag
    assert "staging.cost_allocations" in registry.depends_on("roi.people")  # cost_lines
    assert "raw.loads" in registry.get("dq_null_rate").reads  # dq_rows_in
    order = registry.order_names()
    assert order.index("staging.weeks") < order.index("metrics.latency_p95")
