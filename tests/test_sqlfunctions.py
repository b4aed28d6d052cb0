"""SQL macros and p-value functions against scipy and hand-worked calendars."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest
from scipy import stats

from outcomes.config import Settings
from outcomes.store.sqlfunctions import KS_EXACT_LIMIT, install


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


def test_ks_pvalue_matches_scipy_asymp_for_small_samples(con):
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=300), rng.normal(0.2, size=250)
    ref = stats.ks_2samp(a, b, method="asymp")
    got = con.execute("select ks_pvalue(?, 300, 250)", [float(ref.statistic)]).fetchall()[0][0]
    assert got == pytest.approx(ref.pvalue, rel=1e-12)


def test_ks_pvalue_uses_the_limiting_distribution_for_large_samples(con):
    n = m = 4 * KS_EXACT_LIMIT
    d = 0.01
    en = round(n * m / (n + m))
    got = con.execute("select ks_pvalue(?, ?, ?)", [d, n, m]).fetchall()[0][0]
    assert got == pytest.approx(stats.kstwobign.sf(d * np.sqrt(en)), rel=1e-12)
    assert got == pytest.approx(stats.kstwo.sf(d, en), rel=0.01)  # the stated bound


def test_chi2_sf_and_nulls(con):
    assert con.execute("select chi2_sf(7.5, 3)").fetchall()[0][0] == pytest.approx(
        stats.chi2.sf(7.5, 3), rel=1e-12
    )
    assert con.execute("select chi2_sf(null, 3), ks_pvalue(0.1, 0, 10)").fetchall()[0] == (
        None,
        None,
    )
