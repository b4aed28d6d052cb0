"""ks_pvalue is scipy.stats.ks_2samp(method="asymp") for every n (issue 13): en = n*m/(n+m)
from 1 to 10^6, just below, at and above 10,000 included, on real samples."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from scipy import stats

from outcomes.config import Settings
from outcomes.store.sqlfunctions import install

EN = (1, 2, 3, 10, 100, 1_000, 9_999, 10_000, 10_001, 12_245, 50_000, 100_000, 1_000_000)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    install(c, Settings(), as_of="2026-03-29 12:00:00")
    yield c
    c.close()


@pytest.mark.parametrize("en", EN)
def test_matches_ks_2samp_asymp(con, en):
    rng = np.random.default_rng(en)
    n = m = 2 * en  # en = n*m/(n+m) exactly
    shift = 1.2 / np.sqrt(en)  # p around the alert threshold, not 0 or 1
    a, b = rng.normal(size=n), rng.normal(shift, size=m)
    ref = stats.ks_2samp(a, b, method="asymp")
    got = con.execute("select ks_pvalue(?, ?, ?)", [float(ref.statistic), n, m]).fetchall()[0][0]
    assert got == pytest.approx(float(ref.pvalue), rel=1e-12, abs=1e-300), (en, ref)


def test_unequal_samples_and_many_rows_at_once(con):
    rows = [(0.0123, 30_000, 20_000), (0.2, 7, 5), (0.0123, 30_000, 20_000), (0.5, 2, 2)]
    con.execute("create temp table t (d double, n double, m double)")
    con.executemany("insert into t values (?, ?, ?)", rows)
    got = [r[0] for r in con.execute("select ks_pvalue(d, n, m) from t").fetchall()]
    for (d, n, m), p in zip(rows, got, strict=True):
        assert p == pytest.approx(stats.kstwo.sf(d, np.round(n * m / (n + m))), rel=1e-12)
