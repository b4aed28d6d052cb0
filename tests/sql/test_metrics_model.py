"""Golden tests of the model-health metrics (sql/metrics/*.sql, kind: model).

Expected rows are worked out by hand from the raw rows below (the arithmetic is in the
comments), never by re-running the SQL. Time zone UTC, weeks start on Monday.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests.metricfixtures import RATIO, assert_metric, event, feedback, monday, random_event
from tests.sql.systemrows import one_system
from tests.sqlharness import rows, run_sql

W1 = dt.date(2026, 3, 2)
W2 = dt.date(2026, 3, 9)
KEY = ("week_start", "system", "model_version", "segment")

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


# per cell (week, model_version, segment; None, None: the week's total), by hand from the rows
# above: events, labelled (correct is known), right, wrong, reviewed (any feedback), accepted,
# overridden, sum of confidence. W1 v2/ent: e4 has no feedback, e5 is reviewed (accepted) but
# not labelled. W1 total confidence 0.95 + 0.85 + 0.62 + 0.35 + 0.15 = 2.92; W2 3.8.
COUNTS = {
    (W1, "v1", "smb"): (2, 2, 1, 1, 2, 1, 1, 1.8),
    (W1, "v1", "ent"): (1, 1, 1, 0, 1, 1, 0, 0.62),
    (W1, "v2", "ent"): (2, 0, 0, 0, 1, 1, 0, 0.5),
    (W1, None, None): (5, 3, 2, 1, 4, 3, 1, 2.92),
    (W2, "v1", "smb"): (6, 1, 1, 0, 1, 1, 0, 3.8),
    (W2, None, None): (6, 1, 1, 0, 1, 1, 0, 3.8),
}
EVENTS_N, LABELLED, RIGHT, WRONG, REVIEWED, ACCEPTED, OVERRIDDEN, CONFIDENCE = range(8)
# W2: 1 labelled of 6 events -> coverage 0.1667 < floor 0.2 -> the label metrics' W2 rows are
# provisional; label_coverage also flags W1 v2/ent (0 of 2 events labelled)
W2_CELLS = {(W2, "v1", "smb"), (W2, None, None)}


def _ratios(numerator: int, denominator: int, provisional=frozenset()) -> dict[tuple, list]:
    """One system's ratio rows: column ``numerator`` of COUNTS over column ``denominator``, in
    the cells where the denominator is not 0 (no row where nothing is counted)."""
    return one_system(
        {
            k: [c[numerator] / c[denominator], c[numerator], c[denominator], flag]
            for k, c in COUNTS.items()
            if c[denominator]
            for flag in ["provisional" if k in provisional else None]
        }
    )


GOLDEN = {  # metric: (numerator, denominator, provisional cells), columns of COUNTS
    # W1 v1/smb: e1 right, e2 wrong -> 1/2; v1/ent: e3 right -> 1/1; v2/ent: nothing labelled
    # (e5's feedback has correct null) -> no row; total 2 right of 3 labelled, coverage 3/5
    "accuracy": (RIGHT, LABELLED, W2_CELLS),
    "error_rate": (WRONG, LABELLED, W2_CELLS),
    "label_coverage": (LABELLED, EVENTS_N, W2_CELLS | {(W1, "v2", "ent")}),
    # denominator = events with feedback (e5 counts: reviewed, just not labelled correct/wrong)
    # W1 total: e1, e2, e3, e5 reviewed; e1, e3, e5 accepted -> 3/4
    "acceptance_rate": (ACCEPTED, REVIEWED, W2_CELLS),
    "override_rate": (OVERRIDDEN, REVIEWED, W2_CELLS),
    "mean_confidence": (CONFIDENCE, EVENTS_N, frozenset()),
}


@pytest.mark.parametrize("metric", GOLDEN)
def test_ratio_golden(con, metric):
    assert_metric(con, metric, KEY, RATIO, _ratios(*GOLDEN[metric]))


def test_calibration_error_golden(con):
    # labelled: e1 (0.95, bin 9, right): |1 - 0.95| = 0.05; e2 (0.85, bin 8, wrong): |0 - 0.85|;
    # e3 (0.62, bin 6, right): |1 - 0.62| = 0.38; W2 e6 (0.9, bin 9, right): 0.1.
    # v1/smb: (0.05 + 0.85) / 2; total W1: (0.05 + 0.85 + 0.38) / 3
    assert_metric(
        con,
        "calibration_error",
        KEY,
        ["value", "n", "flag"],
        one_system(
            {
                (W1, "v1", "smb"): [0.45, 2, None],
                (W1, "v1", "ent"): [0.38, 1, None],
                (W1, None, None): [1.28 / 3, 3, None],
                (W2, "v1", "smb"): [0.1, 1, "provisional"],
                (W2, None, None): [0.1, 1, "provisional"],
            }
        ),
    )


def test_latency_percentiles_golden(con):
    # linear interpolation at position q * (n - 1) of the sorted values:
    # W1 total [100, 200, 300, 400, 1000]: p50 pos 2 -> 300; p95 pos 3.8 -> 400 + 0.8 * 600;
    # p99 pos 3.96 -> 400 + 0.96 * 600. W2 [150 .. 650 step 100]: pos 2.5, 4.75, 4.95.
    percentiles = {  # per cell: p50, p95, p99
        (W1, "v1", "smb"): (150, 195, 199),
        (W1, "v1", "ent"): (300, 300, 300),
        (W1, "v2", "ent"): (700, 970, 994),
        (W1, None, None): (300, 880, 976),
        (W2, "v1", "smb"): (400, 625, 645),
        (W2, None, None): (400, 625, 645),
    }
    for i, metric in enumerate(["latency_p50", "latency_p95", "latency_p99"]):
        expected = one_system({k: [p[i], None] for k, p in percentiles.items()})
        assert_metric(con, metric, KEY, ["value", "flag"], expected)


def test_event_volume_golden(con):
    assert_metric(
        con,
        "event_volume",
        ("week_start", "system", "action_tier"),
        ["value", "flag"],
        one_system(
            {
                (W1, "suggest"): [2, None],
                (W1, "approve"): [2, None],
                (W1, "auto"): [1, None],
                (W1, None): [5, None],
                (W2, "suggest"): [4, None],
                (W2, "approve"): [1, None],
                (W2, "auto"): [1, None],
                (W2, None): [6, None],
            }
        ),
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
        "select week_start, system, model_version, segment from metrics.accuracy "
        "where flag = 'provisional' order by all nulls first",
    )
    expected = [(W1, None, None), (W2, None, None), (W2, "v1", "smb")]
    assert flagged == sorted(
        [(w, s, m, g) for w, m, g in expected for s in (None, "triage")],
        key=lambda r: (r[0], r[1] is not None, r[1] or "", r[2] is not None, r[3] is not None),
    )


# ---------------------------------------------------------------- random data, numpy / pandas
# Two AI systems with different distributions (billing: less accurate, slower, less
# confident), so a figure that mixed them up, or took one system's rows for the other's,
# differs from the expected one computed independently per system with pandas / numpy.

SYSTEMS = {"triage": (0.85, 150.0, 1.0), "billing": (0.5, 400.0, 0.6)}


def _random_raw(seed: int, n: int = 1500):
    rng = np.random.default_rng(seed)
    events, labels = [], []
    for i in range(n):
        # 14 weeks from a Monday, across two quarters
        row, at = random_event(rng, i, list(SYSTEMS), [0.7, 0.3], 14, ["smb", "mid", "ent"])
        accuracy, latency_scale, confidence_scale = SYSTEMS[str(row["system"])]
        row["confidence"] = round(float(rng.random()) * confidence_scale, 6)
        row["latency_ms"] = round(float(rng.gamma(2.0, latency_scale)), 3)
        events.append(row)
        if rng.random() < 0.6:
            labels.append(
                feedback(
                    f"r{i}",
                    (at + dt.timedelta(days=1)).isoformat(sep=" "),
                    correct=bool(rng.random() < accuracy),
                )
            )
    return pd.DataFrame(events), pd.DataFrame(labels)


def _levels(frame: pd.DataFrame, value) -> dict[tuple, float]:
    """``value(group)`` at the four levels of a system-first metric, keyed (week, system,
    model_version, segment): per system and cell, per system, per cell over all systems
    (system None), and the company (all None)."""
    out: dict[tuple, float] = {}
    for (w, s, m, g), grp in frame.groupby(["week_start", "system", "model_version", "segment"]):
        out[(w, s, m, g)] = value(grp)
    for (w, s), grp in frame.groupby(["week_start", "system"]):
        out[(w, s, None, None)] = value(grp)
    for (w, m, g), grp in frame.groupby(["week_start", "model_version", "segment"]):
        out[(w, None, m, g)] = value(grp)
    for w, grp in frame.groupby("week_start"):
        out[(w, None, None, None)] = value(grp)
    return out


def test_accuracy_per_system_and_roll_ups():
    events, labels = _random_raw(seed=11)
    con = run_sql({"ai_events": events, "feedback": labels}, ["accuracy"])
    acc = pd.DataFrame(
        rows(
            con,
            "select week_start, system, model_version, segment, value, numerator, denominator "
            "from metrics.accuracy",
        ),
        columns=["week_start", "system", "model_version", "segment", "value", "num", "den"],
    )
    acc["week_start"] = pd.to_datetime(acc["week_start"])

    # direct computation from the raw rows: week = Monday of the UTC date of the event
    direct = events.merge(labels[["event_id", "correct"]], on="event_id", how="inner")
    direct["week_start"] = pd.to_datetime(monday(direct["occurred_at"]))

    # every row, every level, against pandas on the raw rows
    expected = _levels(direct, lambda g: g["correct"].mean())
    got = {
        (r.week_start, r.system, r.model_version, r.segment): r.value
        for r in acc.astype(object).where(acc.notna(), None).itertuples()
    }
    assert set(got) == set(expected)
    assert got == pytest.approx(expected, rel=1e-12)
    # the two systems really differ (a test that mixes them up must fail)
    per_system = direct.groupby("system")["correct"].mean()
    assert per_system["triage"] - per_system["billing"] > 0.15

    for period in ("M", "Q"):
        # a roll-up is sum(numerator) / sum(denominator) at every level
        for system in ("triage", "billing", None):
            totals = acc[acc["segment"].isna()]
            totals = totals[
                totals["system"].isna() if system is None else totals["system"] == system
            ]
            rolled = totals.groupby(totals["week_start"].dt.to_period(period))[["num", "den"]].sum()
            scope = direct if system is None else direct[direct["system"] == system]
            want = scope.groupby(scope["week_start"].dt.to_period(period))["correct"].mean()
            assert len(rolled) >= 2
            assert (rolled["num"] / rolled["den"]).to_dict() == pytest.approx(want.to_dict())

    # the parts add up: a system's cells to its total, the systems' totals to the company's,
    # and the company's cells over both systems to the company total
    def summed(frame, by):
        return frame.groupby(by)[["num", "den"]].sum().sort_index()

    cells = acc[acc["system"].notna() & acc["segment"].notna()]
    system_totals = acc[acc["system"].notna() & acc["segment"].isna()]
    company_cells = acc[acc["system"].isna() & acc["segment"].notna()]
    company = acc[acc["system"].isna() & acc["segment"].isna()]
    pd.testing.assert_frame_equal(
        summed(cells, ["week_start", "system"]), summed(system_totals, ["week_start", "system"])
    )
    pd.testing.assert_frame_equal(
        summed(system_totals, ["week_start"]), summed(company, ["week_start"])
    )
    pd.testing.assert_frame_equal(
        summed(company_cells, ["week_start"]), summed(company, ["week_start"])
    )
    pd.testing.assert_frame_equal(
        summed(cells, ["week_start", "model_version", "segment"]),
        summed(company_cells, ["week_start", "model_version", "segment"]),
    )


def _numpy_ece(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return ece


def test_calibration_error_matches_numpy_per_system():
    events, labels = _random_raw(seed=5)
    con = run_sql(
        {"ai_events": events, "feedback": labels}, ["label_coverage", "calibration_error"]
    )
    got = {
        (w, sy, m, s): v
        for w, sy, m, s, v in rows(
            con,
            "select week_start, system, model_version, segment, value "
            "from metrics.calibration_error",
        )
    }
    joined = events.merge(labels[["event_id", "correct"]], on="event_id")
    joined["week_start"] = monday(joined["occurred_at"])
    expected = _levels(
        joined, lambda g: _numpy_ece(g["confidence"].to_numpy(), g["correct"].to_numpy(float))
    )
    assert set(got) == set(expected)
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k


def test_latency_percentiles_match_numpy_linear_per_system():
    # DuckDB's quantile_cont interpolates linearly between order statistics: numpy's 'linear'
    events, _ = _random_raw(seed=3)
    con = run_sql({"ai_events": events}, ["latency_p50", "latency_p95", "latency_p99"])
    events = events.assign(week_start=monday(events["occurred_at"]))
    for q in (50, 95, 99):
        got = {
            (w, sy, m, s): v
            for w, sy, m, s, v in rows(
                con,
                f"select week_start, system, model_version, segment, value "
                f"from metrics.latency_p{q}",
            )
        }
        expected = _levels(
            events, lambda g, q=q: float(np.percentile(g["latency_ms"], q, method="linear"))
        )
        assert set(got) == set(expected)
        for k, v in expected.items():
            assert got[k] == pytest.approx(v, rel=1e-12), (q, k)
