"""The staging relations of the system dimension (issue 15), over small hand-made raw rows:
staging.systems (versions and effective_to), the assumptions' versions per (key, system), the
allocation driver of shared costs, and the system that work items, incidents and feedback carry.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.sqlharness import rows, run_sql

D = dt.date


def _system(system: str, effective_from: str, stage: str, **extra: object) -> dict:
    return {
        "system": system,
        "effective_from": effective_from,
        "stage": stage,
        "owner": "owner@example.com",
        **extra,
    }


def test_systems_have_one_row_per_version_with_effective_to():
    con = run_sql(
        {
            "systems": [
                _system("a", "2026-01-05", "pilot"),
                _system("a", "2026-03-02", "production", rollback_target="a-v1"),
                _system("b", "2026-02-02", "pilot", inference_budget_per_week="250.00"),
                # a later row for the same system and day: the newest version of that row wins
                _system("b", "2026-02-02", "pilot", inference_budget_per_week="300.00"),
            ]
        }
    )
    got = rows(
        con,
        "select system, effective_from, effective_to, stage, rollback_target, "
        "inference_budget_per_week from staging.systems order by 1, 2",
    )
    assert got == [
        ("a", D(2026, 1, 5), D(2026, 3, 1), "pilot", None, None),
        ("a", D(2026, 3, 2), None, "production", "a-v1", None),
        ("b", D(2026, 2, 2), None, "pilot", None, Decimal("300.00")),
    ]


def _assumption(system: str | None, effective_from: str, value: str) -> dict:
    return {
        "key": "baseline_handle_minutes",
        "system": system,
        "effective_from": effective_from,
        "value": value,
        "unit": "minutes",
        "owner": "ops",
        "source": "study",
    }


def test_assumption_versions_run_per_key_and_system():
    con = run_sql(
        {
            "assumptions": [
                _assumption(None, "2026-01-01", "45"),
                _assumption(None, "2026-06-01", "44"),
                _assumption("b", "2026-03-01", "12"),
            ]
        }
    )
    got = rows(
        con,
        "select system, effective_from, effective_to, value::varchar from staging.assumptions "
        "order by system nulls first, effective_from",
    )
    # the system's version does not end the company-wide one, nor the other way round
    assert got == [
        (None, D(2026, 1, 1), D(2026, 5, 31), "45.000000"),
        (None, D(2026, 6, 1), None, "44.000000"),
        ("b", D(2026, 3, 1), None, "12.000000"),
    ]


def _cost(cost_id: str, system: str | None, allocate_by: str | None) -> dict:
    return {
        "cost_id": cost_id,
        "period_start": "2026-03-02",
        "period_end": "2026-03-15",
        "category": "infrastructure",
        "amount": "100.01",
        "currency": "USD",
        "system": system,
        "allocate_by": allocate_by,
    }


def test_shared_costs_default_to_events_and_own_costs_have_no_driver():
    con = run_sql(
        {
            "costs": [
                _cost("own", "a", None),
                _cost("own-with-driver", "a", "equal"),  # ignored: the cost is a's own
                _cost("shared-default", None, None),
                _cost("shared-hours", None, "hours_saved"),
            ]
        }
    )
    assert rows(con, "select cost_id, system, allocate_by from staging.costs order by 1") == [
        ("own", "a", None),
        ("own-with-driver", "a", None),
        ("shared-default", None, "events"),
        ("shared-hours", None, "hours_saved"),
    ]
    weeks = rows(
        con,
        "select cost_id, system, allocate_by, sum(amount)::varchar, count(*) "
        "from staging.cost_weeks group by all order by 1",
    )
    assert weeks == [
        ("own", "a", None, "100.01", 2),
        ("own-with-driver", "a", None, "100.01", 2),
        ("shared-default", None, "events", "100.01", 2),
        ("shared-hours", None, "hours_saved", "100.01", 2),
    ]


def test_work_items_incidents_and_feedback_carry_the_system():
    event = {
        "event_id": "E1",
        "occurred_at": "2026-03-03 10:00:00",
        "system": "a",
        "model_version": "v1",
        "segment": "smb",
        "action_tier": "suggest",
        "prediction": "x",
        "confidence": 0.9,
        "latency_ms": 10,
        "tokens_in": 1,
        "tokens_out": 1,
        "cost_usd": "0.01",
        "user_id": "U1",
        "customer_id": "C1",
    }
    item = {
        "item_id": "T1",
        "opened_at": "2026-03-03 09:00:00",
        "team": "t",
        "customer_id": "C1",
        "ai_assisted": True,
    }
    incident = {
        "incident_id": "I1",
        "started_at": "2026-03-03 09:00:00",
        "detected_at": "2026-03-03 10:00:00",
        "severity": "sev3",
        "cause": "other",
    }
    con = run_sql(
        {
            "ai_events": [event],
            "feedback": [
                {
                    "event_id": "E1",
                    "labeled_at": "2026-03-04 10:00:00",
                    "correct": True,
                    "accepted": True,
                    "overridden": False,
                }
            ],
            "work_items": [
                {**item, "system": "a"},
                {**item, "item_id": "T2", "ai_assisted": False},
            ],
            "incidents": [{**incident, "system": "a"}, {**incident, "incident_id": "I2"}],
        }
    )
    assert rows(con, "select event_id, system from staging.feedback") == [("E1", "a")]
    assert rows(con, "select item_id, system from staging.work_items order by 1") == [
        ("T1", "a"),
        ("T2", None),
    ]
    assert rows(con, "select incident_id, system from staging.incidents order by 1") == [
        ("I1", "a"),
        ("I2", None),
    ]
