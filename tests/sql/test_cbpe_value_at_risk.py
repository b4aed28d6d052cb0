"""metrics.value_at_risk against a hand-worked example (issue 15).

Two systems, reference window 2026-05-04 .. 05-17 (main.calibration), the week's accuracy
from a hand-made metrics.estimated_accuracy:

system a: reference accuracy 80 / 100 = 0.8; 10 AI events in the reference weeks; 4 assisted
items closed in week 05-04, 20 minutes each; baseline_handle_minutes 50 for a (the company's
40 is overridden; a's range 40..60), loaded_hourly_cost 60 company-wide (range 45..90):
reference value = (50 x 4 - 80) / 60 x 60 = 120, low (40 x 4 - 80) / 60 x 45 = 60, high
(60 x 4 - 80) / 60 x 90 = 240. Week 05-25: accuracy 0.6 (estimated), 20 events:
120 x 20 / 10 x (0.8 - 0.6) / 0.8 = 60.00 (low 30.00, high 120.00).

system b: reference accuracy 50 / 100 = 0.5; 5 reference events; 2 items of 10 minutes;
company baseline 40 (range 30..50): reference value (80 - 20) / 60 x 60 = 60, low
(60 - 20) / 60 x 45 = 30, high (100 - 20) / 60 x 90 = 120. Week 05-25: accuracy 0.4, 10
events: 60 x 10 / 5 x 0.1 / 0.5 = 24.00 (low 12.00, high 48.00).

Company 05-25: 84.00 (42.00 .. 168.00). The partial week 06-01, a at 0.9 with 4 events:
120 x 4 / 10 x (0.8 - 0.9) / 0.8 = -6.00, better than the reference.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from tests.sqlharness import rows, run_sql

AS_OF = "2026-06-01 00:00:00"


def events(system, week, n):
    start = dt.datetime.fromisoformat(week)
    return [
        {
            "event_id": f"{system}-{week}-{i}",
            "occurred_at": start + dt.timedelta(hours=i),
            "system": system,
            "model_version": "v1",
            "segment": "smb",
            "action_tier": "suggest",
            "prediction": "p",
            "confidence": 0.5,
            "latency_ms": 1.0,
            "tokens_in": 1,
            "tokens_out": 1,
            "cost_usd": 0.001,
            "user_id": "u",
            "customer_id": "c",
        }
        for i in range(n)
    ]


def items(system, n, minutes, assisted=True, closed="2026-05-05 10:00:00"):
    return [
        {
            "item_id": f"{system}-{i}-{assisted}-{closed}",
            "opened_at": "2026-05-05 09:00:00",
            "closed_at": closed,
            "team": "t",
            "customer_id": "c",
            "ai_assisted": assisted,
            "handle_minutes": minutes,
            "outcome": "resolved",
            "system": system,
        }
        for i in range(n)
    ]


def assumption(key, value, low, high, system=None):
    return {
        "key": key,
        "system": system,
        "effective_from": "2026-01-01",
        "value": value,
        "unit": "u",
        "owner": "o",
        "source": "s",
        "low": low,
        "high": high,
    }


CALIBRATION = pd.DataFrame(
    [
        ("a", 0, 0.0, 0.0, "isotonic", 100, 80),
        ("a", 1, 1.0, 1.0, "isotonic", 100, 80),
        ("b", 0, 0.0, 0.0, "identity", 100, 50),
        ("b", 1, 1.0, 1.0, "identity", 100, 50),
        ("c", 0, None, None, "none", 0, 0),  # no calibration: no row
    ],
    columns=["system", "point", "x", "y", "method", "fitted_rows", "positive_rows"],
).assign(reference_from=dt.date(2026, 5, 4), reference_to=dt.date(2026, 5, 17))

ESTIMATED = pd.DataFrame(
    [
        ("2026-05-25", "a", 0.6, "estimated", 20, "estimated"),
        ("2026-05-25", "b", 0.4, "estimated", 10, "estimated"),
        ("2026-06-01", "a", 0.9, "estimated", 4, "partial"),
        ("2026-05-25", "c", 0.1, "estimated", 99, "estimated"),
    ],
    columns=["week_start", "system", "filled_accuracy", "basis", "events", "flag"],
).assign(week_start=lambda f: pd.to_datetime(f["week_start"]).dt.date, model_version=None)


def run_value_at_risk(raw):
    """metrics.value_at_risk built over ``raw``, with CALIBRATION and ESTIMATED as its inputs."""
    extra = {"main.calibration": CALIBRATION, "metrics.estimated_accuracy": ESTIMATED}
    return run_sql(raw, ["value_at_risk"], as_of=AS_OF, extra_tables=extra)


def value_at_risk_rows(raw, columns: str, where: str = "") -> list[tuple]:
    """``columns`` of metrics.value_at_risk built over ``raw`` (rows ``where`` holds)."""
    return rows(run_value_at_risk(raw), f"select {columns} from metrics.value_at_risk {where}")


@pytest.fixture(scope="module")
def var():
    raw = {
        "ai_events": [
            *events("a", "2026-05-04", 6),
            *events("a", "2026-05-11", 4),
            *events("a", "2026-05-18", 7),  # after the reference window
            *events("b", "2026-05-11", 5),
        ],
        "work_items": [
            *items("a", 4, 20.0),
            *items("a", 3, 5.0, assisted=False),  # not assisted: not counted
            *items("a", 2, 1.0, closed="2026-05-19 10:00:00"),  # after the window
            *items("b", 2, 10.0),
        ],
        "assumptions": [
            assumption("baseline_handle_minutes", 40, 30, 50),
            assumption("baseline_handle_minutes", 50, 40, 60, system="a"),
            assumption("loaded_hourly_cost", 60, 45, 90),
        ],
    }
    found = value_at_risk_rows(
        raw,
        "week_start::varchar, system, value, low, high, reference_accuracy, "
        "reference_events, reference_value_per_event, events, flag",
    )
    return {(r[0], r[1]): r[2:] for r in found}


def test_value_at_risk_by_hand(var):
    value, low, high, ref_acc, ref_events, per_event, events_, flag = var[("2026-05-25", "a")]
    assert (value, low, high) == (Decimal("60.00"), Decimal("30.00"), Decimal("120.00"))
    assert (ref_acc, ref_events, per_event, events_, flag) == (0.8, 10, 12.0, 20, "estimated")
    assert var[("2026-05-25", "b")][:3] == (Decimal("24.00"), Decimal("12.00"), Decimal("48.00"))


def test_company_row_sums_the_systems(var):
    value, low, high, ref_acc, *_, events_, flag = var[("2026-05-25", None)]
    assert (value, low, high) == (Decimal("84.00"), Decimal("42.00"), Decimal("168.00"))
    assert (ref_acc, events_, flag) == (None, 30, "estimated")


def test_a_week_better_than_the_reference_is_negative(var):
    value, low, high, *_, flag = var[("2026-06-01", "a")]
    assert (value, low, high, flag) == (
        Decimal("-6.00"),
        Decimal("-12.00"),
        Decimal("-3.00"),
        "partial",
    )


def test_systems_without_calibration_have_no_row(var):
    assert not [key for key in var if key[1] == "c"]
    assert len(var) == 5  # a, b and company in 05-25; a and company in 06-01


def test_a_reference_that_lost_time_puts_nothing_at_risk():
    """b's 2 items took 70 minutes each against a baseline of 40: reference value
    (40 x 2 - 140) / 60 x 60 = -60 (-12 per event): value and low 0; the high end (baseline 80,
    cost 90) earned (160 - 140) / 60 x 90 = 30."""
    raw = {
        "ai_events": events("b", "2026-05-11", 5),
        "work_items": items("b", 2, 70.0),
        "assumptions": [
            assumption("baseline_handle_minutes", 40, 30, 80),
            assumption("loaded_hourly_cost", 60, 45, 90),
        ],
    }
    found = value_at_risk_rows(
        raw, "value, low, high, reference_value_per_event", "where system = 'b'"
    )
    # high end: 30 x 10 / 5 x (0.5 - 0.4) / 0.5 = 12.00
    assert found == [(Decimal("0.00"), Decimal("0.00"), Decimal("12.00"), -12.0)]


def test_assumptions_are_picked_as_assumption_for_picks_them():
    """a's own baseline (50, no low, high 60) starts 2026-05-11: week 05-04 uses the company's
    40 (30..50), week 05-11 a's. Two items of 20 minutes each week, cost 60 (45..90):
    value (40x2-40)x60 + (50x2-40)x60 = 6000 -> 100; low (30x2-40)x45 + (50x2-40)x45 = 3600
    -> 60 (a's missing low counts as its value); high (50x2-40)x90 + (60x2-40)x90 = 12600 ->
    210. Week 05-25 (0.6, 20 events, reference 0.8 over 10 events): scale 0.5."""
    raw = {
        "ai_events": [*events("a", "2026-05-04", 6), *events("a", "2026-05-11", 4)],
        "work_items": [*items("a", 2, 20.0), *items("a", 2, 20.0, closed="2026-05-12 10:00:00")],
        "assumptions": [
            assumption("baseline_handle_minutes", 40, 30, 50),
            {
                **assumption("baseline_handle_minutes", 50, None, 60, "a"),
                "effective_from": "2026-05-11",
            },
            assumption("loaded_hourly_cost", 60, 45, 90),
        ],
    }
    con = run_value_at_risk(raw)
    found = rows(
        con,
        "select value, low, high from metrics.value_at_risk "
        "where system = 'a' and week_start = '2026-05-25'",
    )
    assert found == [(Decimal("50.00"), Decimal("30.00"), Decimal("105.00"))]
    macros = rows(
        con,
        "select w, assumption_for('baseline_handle_minutes', 'a', w), "
        "assumption_for_low('baseline_handle_minutes', 'a', w), "
        "assumption_for_high('baseline_handle_minutes', 'a', w) "
        "from (values (date '2026-05-04'), (date '2026-05-11')) t(w) order by w",
    )
    assert [tuple(float(v) if v is not None else None for v in r[1:]) for r in macros] == [
        (40.0, 30.0, 50.0),
        (50.0, None, 60.0),
    ]
