"""Golden tests of the model-health metrics (sql/metrics/*.sql, kind: model).

Expected rows are worked out by hand from the raw rows below (the arithmetic is in the
comments), never by re-running the SQL. Time zone UTC, weeks start on Monday.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests.metricfixtures import assert_metric, event, feedback, monday
from tests.sqlharness import rows, run_sql

W1 = dt.date(2026, 3, 2)
W2 = dt.date(2026, 3, 9)
KEY = ("week_start", "model_version", "segment")

# W1: five events over three (model_version, segment) cells; W2: six v1/smb events, one labelled.
EVENTS = [
    event(
        "e1",
        "2026-03-03 10:00:00",
        model_version="v1",
        segment="smb",
        action_tier="suggest",
        confidence=0.95,
        latency_ms=100.0,
    ),
    event(
        "e2",
        "2026-03-03 11:00:00",
        model_version="v1",
        segment="smb",
        action_tier="approve",
        confidence=0.85,
        latency_ms=200.0,
    ),
    event(
        "e3",
        "2026-03-04 09:00:00",
        model_version="v1",
        segment="ent",
        action_tier="auto",
        confidence=0.62,
        latency_ms=300.0,
    ),
    event(
        "e4",
        "2026-03-05 09:00:00",
        model_version="v2",
        segment="ent",
        action_tier="suggest",
        confidence=0.35,
        latency_ms=400.0,
    ),
    event(
        "e5",
        "2026-03-08 23:59:00",
        model_version="v2",
        segment="ent",
        action_tier="approve",
        confidence=0.15,
        latency_ms=1000.0,
    ),
    event("e6", "2026-03-09 00:00:00", confidence=0.9, latency_ms=150.0),
    event("e7", "2026-03-10 10:00:00", confidence=0.8, latency_ms=250.0),
    event("e8", "2026-03-10 11:00:00", action_tier="auto", confidence=0.7, latency_ms=350.0),
    event("e9", "2026-03-11 10:00:00", action_tier="approve", confidence=0.55, latency_ms=450.0),
    event("e10", "2026-03-12 10:00:00", confidence=0.45, latency_ms=550.0),
    event("e11", "2026-03-15 23:00:00", confidence=0.4, latency_ms=650.0),
]
FEEDBACK = [
    feedback("e1", "2026-03-04 10:00:00", correct=True, accepted=True, overridden=False),
    feedback("e2", "2026-03-04 10:00:00", correct=False, accepted=False, overridden=True),
    feedback("e3", "2026-03-05 10:00:00", correct=True, accepted=True, overridden=False),
    # e4: no feedback; e5: reviewed (accepted) but no correctness label
    feedback("e5", "2026-03-09 10:00:00", correct=None, accepted=True, overridden=False),
    feedback("e6", "2026-03-10 10:00:00", correct=True, accepted=True, overridden=False),
]
RAW = {"ai_events": EVENTS, "feedback": FEEDBACK}
MODEL_METRICS = [
    "accuracy",
    "error_rate",
    "label_coverage",
    "acceptance_rate",
    "override_rate",
    "mean_confidence",
    "calibration_error",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "event_volume",
]


@pytest.fixture(scope="module")
def con():
    # as_of well after the data: every week complete, no partial flag
    return run_sql(RAW, MODEL_METRICS)


def test_accuracy_golden(con):
    # W1 v1/smb: e1 right, e2 wrong -> 1/2; v1/ent: e3 right -> 1/1; v2/ent: nothing labelled
    # (e5's feedback has correct null) -> no row; total 2 right of 3 labelled, coverage 3/5.
    # W2: 1 labelled of 6 events -> coverage 0.1667 < floor 0.2 -> provisional.
    assert_metric(
        con,
        "accuracy",
        KEY,
        ["value", "numerator", "denominator", "flag"],
        {
            (W1, "v1", "smb"): [0.5, 1, 2, None],
            (W1, "v1", "ent"): [1.0, 1, 1, None],
            (W1, None, None): [2 / 3, 2, 3, None],
            (W2, "v1", "smb"): [1.0, 1, 1, "provisional"],
            (W2, None, None): [1.0, 1, 1, "provisional"],
        },
    )


def test_error_rate_golden(con):
    assert_metric(
        con,
        "error_rate",
        KEY,
        ["value", "numerator", "denominator", "flag"],
        {
            (W1, "v1", "smb"): [0.5, 1, 2, None],
            (W1, "v1", "ent"): [0.0, 0, 1, None],
            (W1, None, None): [1 / 3, 1, 3, None],
            (W2, "v1", "smb"): [0.0, 0, 1, "provisional"],
            (W2, None, None): [0.0, 0, 1, "provisional"],
        },
    )


def test_label_coverage_golden(con):
    # v2/ent W1: 0 of 2 events labelled -> 0, below the floor -> provisional
    assert_metric(
        con,
        "label_coverage",
        KEY,
        ["value", "numerator", "denominator", "flag"],
        {
            (W1, "v1", "smb"): [1.0, 2, 2, None],
            (W1, "v1", "ent"): [1.0, 1, 1, None],
            (W1, "v2", "ent"): [0.0, 0, 2, "provisional"],
            (W1, None, None): [0.6, 3, 5, None],
            (W2, "v1", "smb"): [1 / 6, 1, 6, "provisional"],
            (W2, None, None): [1 / 6, 1, 6, "provisional"],
        },
    )


def test_acceptance_rate_golden(con):
    # denominator = events with feedback (e5 counts: reviewed, just not labelled correct/wrong)
    # W1 total: e1, e2, e3, e5 reviewed; e1, e3, e5 accepted -> 3/4
    assert_metric(
        con,
        "acceptance_rate",
        KEY,
        ["value", "numerator", "denominator", "flag"],
        {
            (W1, "v1", "smb"): [0.5, 1, 2, None],
            (W1, "v1", "ent"): [1.0, 1, 1, None],
            (W1, "v2", "ent"): [1.0, 1, 1, None],
            (W1, None, None): [0.75, 3, 4, None],
            (W2, "v1", "smb"): [1.0, 1, 1, "provisional"],
            (W2, None, None): [1.0, 1, 1, "provisional"],
        },
    )


def test_override_rate_golden(con):
    assert_metric(
        con,
        "override_rate",
        KEY,
        ["value", "numerator", "denominator", "flag"],
        {
            (W1, "v1", "smb"): [0.5, 1, 2, None],
            (W1, "v1", "ent"): [0.0, 0, 1, None],
            (W1, "v2", "ent"): [0.0, 0, 1, None],
            (W1, None, None): [0.25, 1, 4, None],
            (W2, "v1", "smb"): [0.0, 0, 1, "provisional"],
            (W2, None, None): [0.0, 0, 1, "provisional"],
        },
    )


def test_mean_confidence_golden(con):
    # W1 total (0.95 + 0.85 + 0.62 + 0.35 + 0.15) / 5 = 2.92 / 5; W2 3.8 / 6
    assert_metric(
        con,
        "mean_confidence",
        KEY,
        ["value", "numerator", "denominator", "flag"],
        {
            (W1, "v1", "smb"): [0.9, 1.8, 2, None],
            (W1, "v1", "ent"): [0.62, 0.62, 1, None],
            (W1, "v2", "ent"): [0.25, 0.5, 2, None],
            (W1, None, None): [0.584, 2.92, 5, None],
            (W2, "v1", "smb"): [3.8 / 6, 3.8, 6, None],
            (W2, None, None): [3.8 / 6, 3.8, 6, None],
        },
    )


def test_calibration_error_golden(con):
    # labelled: e1 (0.95, bin 9, right): |1 - 0.95| = 0.05; e2 (0.85, bin 8, wrong): |0 - 0.85|;
    # e3 (0.62, bin 6, right): |1 - 0.62| = 0.38; W2 e6 (0.9, bin 9, right): 0.1.
    # v1/smb: (0.05 + 0.85) / 2; total W1: (0.05 + 0.85 + 0.38) / 3
    assert_metric(
        con,
        "calibration_error",
        KEY,
        ["value", "n", "flag"],
        {
            (W1, "v1", "smb"): [0.45, 2, None],
            (W1, "v1", "ent"): [0.38, 1, None],
            (W1, None, None): [1.28 / 3, 3, None],
            (W2, "v1", "smb"): [0.1, 1, "provisional"],
            (W2, None, None): [0.1, 1, "provisional"],
        },
    )


def test_latency_percentiles_golden(con):
    # linear interpolation at position q * (n - 1) of the sorted values:
    # W1 total [100, 200, 300, 400, 1000]: p50 pos 2 -> 300; p95 pos 3.8 -> 400 + 0.8 * 600;
    # p99 pos 3.96 -> 400 + 0.96 * 600. W2 [150 .. 650 step 100]: pos 2.5, 4.75, 4.95.
    expected = {
        "latency_p50": {
            (W1, "v1", "smb"): 150,
            (W1, "v1", "ent"): 300,
            (W1, "v2", "ent"): 700,
            (W1, None, None): 300,
            (W2, "v1", "smb"): 400,
            (W2, None, None): 400,
        },
        "latency_p95": {
            (W1, "v1", "smb"): 195,
            (W1, "v1", "ent"): 300,
            (W1, "v2", "ent"): 970,
            (W1, None, None): 880,
            (W2, "v1", "smb"): 625,
            (W2, None, None): 625,
        },
        "latency_p99": {
            (W1, "v1", "smb"): 199,
            (W1, "v1", "ent"): 300,
            (W1, "v2", "ent"): 994,
            (W1, None, None): 976,
            (W2, "v1", "smb"): 645,
            (W2, None, None): 645,
        },
    }
    for metric, values in expected.items():
        assert_metric(
            con, metric, KEY, ["value", "flag"], {k: [v, None] for k, v in values.items()}
        )


def test_event_volume_golden(con):
    assert_metric(
        con,
        "event_volume",
        ("week_start", "action_tier"),
        ["value", "flag"],
        {
            (W1, "suggest"): [2, None],
            (W1, "approve"): [2, None],
            (W1, "auto"): [1, None],
            (W1, None): [5, None],
            (W2, "suggest"): [4, None],
            (W2, "approve"): [1, None],
            (W2, "auto"): [1, None],
            (W2, None): [6, None],
        },
    )


def test_partial_week_is_flagged_and_wins_over_provisional():
    # as_of inside W2: W2 has not ended, so every W2 row is partial (not provisional)
    con = run_sql(RAW, ["accuracy", "event_volume", "latency_p50"], as_of="2026-03-12 00:00:00")
    for metric in ("accuracy", "event_volume", "latency_p50"):
        flags = dict(rows(con, f"select distinct week_start, flag from metrics.{metric}"))
        assert flags == {W1: None, W2: "partial"}, metric


def test_provisional_follows_the_coverage_floor():
    # the same data with a floor of 0.1: W2's coverage 1/6 = 0.167 is now above it
    from outcomes.config import Settings

    con = run_sql(RAW, ["accuracy"], settings=Settings(label_coverage_floor=0.1))
    assert rows(con, "select count(*) from metrics.accuracy where flag is not null") == [(0,)]
    con = run_sql(RAW, ["accuracy"], settings=Settings(label_coverage_floor=0.7))
    # W1 total 3/5 = 0.6 < 0.7 now provisional too; v1 cells (coverage 1) stay clean
    flagged = rows(
        con,
        "select week_start, model_version, segment from metrics.accuracy "
        "where flag = 'provisional' order by all nulls first",
    )
    assert flagged == [(W1, None, None), (W2, None, None), (W2, "v1", "smb")]


# ---------------------------------------------------------------- random data, numpy / pandas


def _random_raw(seed: int, n: int = 1500):
    rng = np.random.default_rng(seed)
    start = dt.datetime(2026, 1, 5)  # a Monday; ~14 weeks, across two quarters
    events, labels = [], []
    for i in range(n):
        at = start + dt.timedelta(minutes=int(rng.integers(0, 14 * 7 * 24 * 60)))
        events.append(
            event(
                f"r{i}",
                at.isoformat(sep=" "),
                model_version=str(rng.choice(["v1", "v2"])),
                segment=str(rng.choice(["smb", "mid", "ent"])),
                confidence=round(float(rng.random()), 6),
                latency_ms=round(float(rng.gamma(2.0, 150.0)), 3),
            )
        )
        if rng.random() < 0.6:
            labels.append(
                feedback(
                    f"r{i}",
                    (at + dt.timedelta(days=1)).isoformat(sep=" "),
                    correct=bool(rng.random() < 0.8),
                )
            )
    return pd.DataFrame(events), pd.DataFrame(labels)


def test_accuracy_rolls_up_by_month_quarter_and_segments():
    events, labels = _random_raw(seed=11)
    con = run_sql({"ai_events": events, "feedback": labels}, ["accuracy"])
    acc = pd.DataFrame(
        rows(
            con,
            "select week_start, model_version, segment, numerator, denominator from metrics.accuracy",
        ),
        columns=["week_start", "model_version", "segment", "numerator", "denominator"],
    )
    acc["week_start"] = pd.to_datetime(acc["week_start"])

    # direct computation from the raw rows: week = Monday of the UTC date of the event
    direct = events.merge(labels[["event_id", "correct"]], on="event_id", how="inner")
    direct["week_start"] = pd.to_datetime(monday(direct["occurred_at"]))

    for period in ("M", "Q"):
        # every dimension set rolls up the same way: all segments (total rows) and each cell
        totals = acc[acc["segment"].isna()]
        rolled = totals.groupby(totals["week_start"].dt.to_period(period))[
            ["numerator", "denominator"]
        ].sum()
        expected = direct.groupby(direct["week_start"].dt.to_period(period))["correct"].mean()
        assert len(rolled) >= 2
        assert (rolled["numerator"] / rolled["denominator"]).to_dict() == pytest.approx(
            expected.to_dict()
        )

        cells = acc[acc["segment"].notna()]
        keys = [cells["week_start"].dt.to_period(period), "model_version", "segment"]
        rolled = cells.groupby(keys)[["numerator", "denominator"]].sum()
        dkeys = [direct["week_start"].dt.to_period(period), "model_version", "segment"]
        expected = direct.groupby(dkeys)["correct"].mean()
        assert (rolled["numerator"] / rolled["denominator"]).to_dict() == pytest.approx(
            expected.to_dict()
        )

    # the cells of a week add up to its total row (no event lost or counted twice)
    by_week = acc[acc["segment"].notna()].groupby("week_start")[["numerator", "denominator"]].sum()
    totals = acc[acc["segment"].isna()].set_index("week_start")[["numerator", "denominator"]]
    pd.testing.assert_frame_equal(by_week.sort_index(), totals.sort_index(), check_names=False)


def _numpy_ece(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return ece


def test_calibration_error_matches_numpy():
    events, labels = _random_raw(seed=5)
    con = run_sql({"ai_events": events, "feedback": labels}, ["calibration_error"])
    got = {
        (w, m, s): v
        for w, m, s, v in rows(
            con, "select week_start, model_version, segment, value from metrics.calibration_error"
        )
    }
    joined = events.merge(labels[["event_id", "correct"]], on="event_id")
    joined["week_start"] = monday(joined["occurred_at"])
    expected = {}
    for (w, m, s), g in joined.groupby(["week_start", "model_version", "segment"]):
        expected[(w, m, s)] = _numpy_ece(g["confidence"].to_numpy(), g["correct"].to_numpy(float))
    for w, g in joined.groupby("week_start"):
        expected[(w, None, None)] = _numpy_ece(
            g["confidence"].to_numpy(), g["correct"].to_numpy(float)
        )
    assert set(got) == set(expected)
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k


def test_latency_percentiles_match_numpy_linear():
    # DuckDB's quantile_cont interpolates linearly between order statistics: numpy's 'linear'
    events, _ = _random_raw(seed=3)
    con = run_sql({"ai_events": events}, ["latency_p50", "latency_p95", "latency_p99"])
    events = events.assign(week_start=monday(events["occurred_at"]))
    for q in (50, 95, 99):
        got = {
            (w, m, s): v
            for w, m, s, v in rows(
                con, f"select week_start, model_version, segment, value from metrics.latency_p{q}"
            )
        }
        expected = {
            (w, m, s): float(np.percentile(g["latency_ms"], q, method="linear"))
            for (w, m, s), g in events.groupby(["week_start", "model_version", "segment"])
        }
        expected.update(
            {
                (w, None, None): float(np.percentile(g["latency_ms"], q, method="linear"))
                for w, g in events.groupby("week_start")
            }
        )
        assert set(got) == set(expected)
        for k, v in expected.items():
            assert got[k] == pytest.approx(v, rel=1e-12), (q, k)
