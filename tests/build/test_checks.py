"""Threshold evaluation: every mode and direction, flags, and missing levels, worked by hand."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from outcomes.core.thresholds import evaluate_thresholds

W = [dt.date(2026, 1, 5) + dt.timedelta(days=7 * i) for i in range(6)]


def _run(values, mode, direction, warn, alert, flags=None):
    con = duckdb.connect()
    frame = pd.DataFrame(
        {
            "metric": "m",
            "week_start": W[: len(values)],
            "dimensions": "{}",
            "value": values,
            "flag": flags or [None] * len(values),
        }
    )
    con.register("f", frame)
    con.execute("create table mv as select * from f")
    t = pd.DataFrame(
        [
            {
                "metric": "m",
                "mode": mode,
                "warn": warn,
                "alert": alert,
                "direction": direction,
                "owner": "o",
            }
        ]
    )
    out = evaluate_thresholds(con, t, table="mv")
    return {r.week_start.date(): r.level for r in out.itertuples()}


def test_absolute_higher_is_better():
    got = _run([0.9, 0.86, 0.85, 0.82, 0.80, 0.7], "absolute", "higher_is_better", 0.85, 0.80)
    assert got == {W[2]: "warn", W[3]: "warn", W[4]: "alert", W[5]: "alert"}


def test_absolute_lower_is_better():
    got = _run([0.05, 0.1, 0.2, 0.25, 0.3], "absolute", "lower_is_better", 0.1, 0.25)
    assert got == {W[1]: "warn", W[2]: "warn", W[3]: "alert", W[4]: "alert"}


def test_change_pct_drop_is_bad_when_higher_is_better():
    # 100 -> 95 (-5 %) quiet, -> 85 (-10.5 %) warn, -> 68 (-20 %) alert, -> 100 (+47 %) quiet
    got = _run([100, 95, 85, 68, 100], "change_pct", "higher_is_better", 0.10, 0.20)
    assert got == {W[2]: "warn", W[3]: "alert"}


def test_change_abs_rise_is_bad_when_lower_is_better():
    got = _run([10, 12, 20, 19, 40], "change_abs", "lower_is_better", 5, 15)
    assert got == {W[2]: "warn", W[4]: "alert"}


def test_vs_trailing_mean_uses_four_weeks_before():
    # week 5: mean(10,10,10,10) = 10 -> 13 is +30 % -> warn (0.25), not alert (0.5)
    got = _run([10, 10, 10, 10, 13, 20], "vs_trailing_mean", "neutral", 0.25, 0.5)
    # week 6: mean(10,10,10,13) = 10.75 -> 20 is +86 % -> alert
    assert got == {W[4]: "warn", W[5]: "alert"}


def test_insufficient_and_partial_rows_never_alert_but_provisional_does():
    flags = ["insufficient", "partial", "provisional"]
    got = _run([0.1, 0.1, 0.1], "absolute", "higher_is_better", 0.85, 0.8, flags)
    assert got == {W[2]: "alert"}


@pytest.mark.parametrize(
    ("warn", "alert", "expected"), [(None, 0.8, "alert"), (0.85, None, "warn"), (None, 0.4, None)]
)
def test_a_missing_level_never_fires(warn, alert, expected):
    got = _run([0.5], "absolute", "higher_is_better", warn, alert)
    assert got == ({W[0]: expected} if expected else {})


def test_scope_total_checks_only_the_all_dimensions_row_and_each_checks_every_row():
    con = duckdb.connect()
    frame = pd.DataFrame(
        {
            "metric": "m",
            "week_start": [W[0]] * 3,
            "dimensions": ["{}", '{"segment":"smb"}', '{"segment":"enterprise"}'],
            "value": [0.9, 0.5, 0.95],
            "flag": [None] * 3,
        }
    )
    con.register("f", frame)
    con.execute("create table mv as select * from f")
    base = {
        "metric": "m",
        "mode": "absolute",
        "warn": 0.85,
        "alert": 0.8,
        "direction": "higher_is_better",
        "owner": "o",
    }
    total = evaluate_thresholds(con, pd.DataFrame([{**base, "scope": "total"}]), table="mv")
    each = evaluate_thresholds(con, pd.DataFrame([{**base, "scope": "each"}]), table="mv")
    assert len(total) == 0
    assert each[["dimensions", "level"]].values.tolist() == [['{"segment":"smb"}', "alert"]]
