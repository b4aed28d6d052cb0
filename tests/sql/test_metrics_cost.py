"""Golden tests of the cost metrics (sql/metrics/*.sql, kind: cost).

Expected rows are worked out by hand from the raw rows below. Time zone UTC, weeks start on
Monday; default as_of (2026-06-01), so both weeks are complete.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.metricfixtures import RATIO, assert_metric, assumption, event, item, ratio_rows
from tests.sql.metric_chains import PROJECTED_COST
from tests.sql.systemrows import SYSTEM, one_system
from tests.sqlharness import rows, run_sql

W1 = dt.date(2026, 3, 2)
W2 = dt.date(2026, 3, 9)

EVENTS = [
    event(
        "c1",
        "2026-03-03 10:00:00",
        model_version="v1",
        cost_usd="0.010000",
        tokens_in=100,
        tokens_out=20,
    ),
    event(
        "c2",
        "2026-03-04 10:00:00",
        model_version="v1",
        cost_usd="0.020000",
        tokens_in=200,
        tokens_out=40,
    ),
    event(
        "c3",
        "2026-03-05 10:00:00",
        model_version="v2",
        cost_usd="0.000001",
        tokens_in=50,
        tokens_out=0,
    ),
    event(
        "c4",
        "2026-03-10 10:00:00",
        model_version="v1",
        cost_usd="0.100000",
        tokens_in=300,
        tokens_out=60,
    ),
    event(
        "c5",
        "2026-03-11 10:00:00",
        model_version="v2",
        cost_usd="0.050000",
        tokens_in=400,
        tokens_out=100,
    ),
]
ITEMS = [
    {**item("a1", "2026-03-03 12:00:00", True, 15.0), "system": SYSTEM},
    {**item("a2", "2026-03-04 12:00:00", True, 25.0), "system": SYSTEM},
    item("n1", "2026-03-04 12:00:00", False, 60.0),  # not AI-assisted: in no cost metric
    {**item("a3", "2026-03-12 12:00:00", True, 5.0), "system": SYSTEM},
]
ASSUMPTIONS = [
    assumption("baseline_handle_minutes", "2026-01-01", 45),
    assumption("projected_monthly_volume", "2026-01-01", 100000),
    assumption("projected_monthly_volume", "2026-03-09", 200000),
    assumption("monthly_budget", "2026-01-01", 5000),
    assumption("headroom", "2026-03-09", 2),  # W1 has none in force -> default 3
]
RAW = {"ai_events": EVENTS, "work_items": ITEMS, "assumptions": ASSUMPTIONS}
COST_METRICS = [
    "inference_cost",
    "cost_per_inference",
    "tokens_per_event",
    "cost_per_assisted_item",
    "hours_saved",
    "cost_per_hour_saved",
    "projected_inference_cost",
    "projected_budget_ratio",
]
BY_MODEL = ("week_start", "system", "model_version")
WEEKLY = ("week_start", "system")


@pytest.fixture(scope="module")
def con():
    return run_sql(RAW, COST_METRICS)


# per (week, model_version; None: every version): inference cost, tokens in + out, events.
# W1 v1: c1 + c2 = 0.03, (100 + 20) + (200 + 40) = 360 tokens; W1 total 120 + 240 + 50 = 410
BY_MODEL_SUMS = {
    (W1, "v1"): (0.03, 360, 2),
    (W1, "v2"): (0.000001, 50, 1),
    (W1, None): (0.030001, 410, 3),
    (W2, "v1"): (0.1, 360, 1),
    (W2, "v2"): (0.05, 500, 1),
    (W2, None): (0.15, 860, 2),
}
# per week: inference cost, AI-assisted items closed, hours saved
# (W1: (45 - 15) + (45 - 25) = 50 min; W2: 45 - 5 = 40 min)
WEEK_SUMS = {(W1,): (0.030001, 2, 50 / 60), (W2,): (0.15, 1, 40 / 60)}


def _ratios(sums: dict[tuple, tuple], numerator: int, denominator: int) -> dict[tuple, list]:
    """One system's ratio rows: column ``numerator`` of ``sums`` over column ``denominator``."""
    return one_system(ratio_rows({k: (v[numerator], v[denominator]) for k, v in sums.items()}))


GOLDEN = {  # metric: (key, columns, expected rows); ratios are numerator / denominator
    "inference_cost": (
        BY_MODEL,
        ["value", "events", "flag"],
        one_system({k: [cost, n, None] for k, (cost, _, n) in BY_MODEL_SUMS.items()}),
    ),
    "cost_per_inference": (BY_MODEL, RATIO, _ratios(BY_MODEL_SUMS, 0, 2)),  # cost / events
    "tokens_per_event": (BY_MODEL, RATIO, _ratios(BY_MODEL_SUMS, 1, 2)),  # tokens / events
    "cost_per_assisted_item": (WEEKLY, RATIO, _ratios(WEEK_SUMS, 0, 1)),  # cost / items
    "cost_per_hour_saved": (WEEKLY, RATIO, _ratios(WEEK_SUMS, 0, 2)),  # cost / hours saved
    # the company's only (no systems register here: no system row).
    # W1: 0.030001 / 3 per inference x 100000 x headroom 3 (default) = 3000.1, budget 5000
    # W2: 0.15 / 2 x 200000 x 2 = 30000 -> 6x the budget
    "projected_inference_cost": (
        WEEKLY,
        [
            "value",
            "numerator",
            "denominator",
            "budget_ratio",
            "cost_per_inference",
            "volume",
            "headroom",
            "flag",
        ],
        {
            (W1, None): [3000.1, 3000.1, 5000, 0.60002, 0.030001 / 3, 100000, 3, None],
            (W2, None): [30000, 30000, 5000, 6.0, 0.075, 200000, 2, None],
        },
    ),
    "projected_budget_ratio": (
        WEEKLY,
        RATIO,
        {
            (W1, None): [0.60002, 3000.1, 5000, None],
            (W2, None): [6.0, 30000, 5000, None],
        },
    ),
}


@pytest.mark.parametrize("metric", GOLDEN)
def test_cost_golden(con, metric):
    key, columns, expected = GOLDEN[metric]
    assert_metric(con, metric, key, columns, expected)


def test_inference_cost_keeps_the_exact_decimal(con):
    exact = dict(
        rows(
            con,
            "select week_start, cost_usd from metrics.inference_cost "
            "where model_version is null and system is null",
        )
    )
    assert exact == {W1: Decimal("0.030001"), W2: Decimal("0.150000")}
    assert rows(con, "select typeof(cost_usd) from metrics.inference_cost limit 1")[0][
        0
    ].startswith("DECIMAL")


def test_no_projection_without_a_volume_assumption():
    raw = dict(RAW, assumptions=[a for a in ASSUMPTIONS if a["key"] != "projected_monthly_volume"])
    con = run_sql(raw, PROJECTED_COST)
    assert rows(con, "select count(*) from metrics.projected_inference_cost") == [(0,)]
    assert rows(con, "select count(*) from metrics.projected_budget_ratio") == [(0,)]


def test_cost_partial_week_is_flagged():
    con = run_sql(RAW, COST_METRICS, as_of="2026-03-12 18:00:00")
    for metric in (
        "inference_cost",
        "cost_per_inference",
        "cost_per_hour_saved",
        "projected_inference_cost",
    ):
        flags = dict(rows(con, f"select distinct week_start, flag from metrics.{metric}"))
        assert flags == {W1: None, W2: "partial"}, metric


def test_no_cost_per_hour_saved_without_savings():
    # the one AI-assisted item took 50 minutes against a 45-minute baseline: -5/60 hours saved
    raw = dict(RAW, work_items=[item("a1", "2026-03-03 12:00:00", True, 50.0)])
    con = run_sql(raw, ["inference_cost", "hours_saved", "cost_per_hour_saved"])
    assert rows(con, "select week_start, system, value from metrics.hours_saved") == [
        (W1, None, pytest.approx(-5 / 60))
    ]
    assert rows(con, "select count(*) from metrics.cost_per_hour_saved") == [(0,)]
