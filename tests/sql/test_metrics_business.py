"""Golden tests of the business-outcome metrics (sql/metrics/*.sql, kind: business).

Expected rows are worked out by hand from the raw rows below. Time zone UTC, weeks start on
Monday; as_of 2026-03-18 12:00 makes the calendar W1 (03-02), W2 (03-09), W3 (03-16, partial).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.metricfixtures import assert_metric, assumption, event, item
from tests.sql.systemrows import SYSTEM, one_system
from tests.sqlharness import SQL_DIR, run_sql

W0 = dt.date(2025, 12, 15)  # before the first AI event and before any baseline
W1 = dt.date(2026, 3, 2)
W2 = dt.date(2026, 3, 9)
W3 = dt.date(2026, 3, 16)
AS_OF = "2026-03-18 12:00:00"


def assisted(item_id: str, closed_at: str | None, minutes: float | None) -> dict[str, object]:
    """An item the one AI system of these fixtures assisted."""
    return {**item(item_id, closed_at, True, minutes), "system": SYSTEM}


# every item is of team 'support', which the system serves (it assisted one of its items), so
# the system's work-item rows count every item; its handle-time rows only the assisted ones
ITEMS = [
    assisted("i0", "2025-12-17 10:00:00", 10.0),
    assisted("i1", "2026-03-03 10:00:00", 20.0),
    assisted("i2", "2026-03-04 10:00:00", 30.0),
    assisted("i3", "2026-03-05 10:00:00", None),  # no handle time: counted, not timed
    item("i4", "2026-03-05 11:00:00", False, 40.0),
    item("i5", "2026-03-06 11:00:00", False, 50.0),
    item("i6", "2026-03-08 23:00:00", False, 90.0),
    item("i7", None, False, None),  # still open: in no metric
    assisted("i8", "2026-03-10 10:00:00", 14.0),
    item("i9", "2026-03-11 10:00:00", False, 45.0),
]
ASSUMPTIONS = [
    assumption("baseline_handle_minutes", "2026-01-01", 45),
    assumption("baseline_handle_minutes", "2026-03-09", 50),
    assumption("monthly_budget", "2026-01-01", 5000),  # another key: must not leak in
]
USERS = [
    {"user_id": "u1", "team": "A", "eligible_from": "2026-01-01", "eligible_to": None},
    {"user_id": "u2", "team": "A", "eligible_from": "2026-03-09", "eligible_to": None},
    {"user_id": "u3", "team": "B", "eligible_from": "2026-01-01", "eligible_to": "2026-03-04"},
    {"user_id": "u4", "team": "B", "eligible_from": "2026-01-01", "eligible_to": None},
    # eligible from the Wednesday of W1: counts for W1 (eligible part of the week), never active
    {"user_id": "u5", "team": "B", "eligible_from": "2026-03-04", "eligible_to": None},
]
EVENTS = [
    event("e1", "2026-03-02 09:00:00", user_id="u1"),
    event("e2", "2026-03-03 09:00:00", user_id="u1"),
    event("e3", "2026-03-04 09:00:00", user_id="u3"),
    event("e4", "2026-03-05 09:00:00", user_id="u9"),  # not in the users register
    event("e5", "2026-03-09 09:00:00", user_id="u1"),
    event("e6", "2026-03-10 09:00:00", user_id="u2"),
    event("e7", "2026-03-15 23:30:00", user_id="u4"),
]
INCIDENTS = [
    # minutes to detect / to resolve: 90 / 180, 30 / 8640 (resolved in W2), 60 / open, 15 / 30
    {
        "incident_id": "n1",
        "started_at": "2026-03-03 08:00:00",
        "detected_at": "2026-03-03 09:30:00",
        "resolved_at": "2026-03-03 12:30:00",
        "severity": "sev2",
        "cause": "outage",
        "system": SYSTEM,
    },
    {
        "incident_id": "n2",
        "started_at": "2026-03-04 10:00:00",
        "detected_at": "2026-03-04 10:30:00",
        "resolved_at": "2026-03-10 10:30:00",
        "severity": "sev3",
        "cause": "data_drift",
        "system": SYSTEM,
    },
    {
        "incident_id": "n3",
        "started_at": "2026-03-05 00:00:00",
        "detected_at": "2026-03-05 01:00:00",
        "resolved_at": None,
        "severity": "sev4",
        "cause": "outage",  # not attributed to a system: in the company's rows only
    },
    {
        "incident_id": "n4",
        "started_at": "2026-03-16 09:00:00",
        "detected_at": "2026-03-16 09:15:00",
        "resolved_at": "2026-03-16 09:45:00",
        "severity": "sev1",
        "cause": "model_regression",
        "system": SYSTEM,
    },
]
RAW = {
    "work_items": ITEMS,
    "assumptions": ASSUMPTIONS,
    "users": USERS,
    "ai_events": EVENTS,
    "incidents": INCIDENTS,
}
BUSINESS_METRICS = [
    "ai_assisted_share",
    "work_items_handled",  # reads ai_assisted_share
    "handle_minutes_median",
    "handle_minutes_mean",
    "hours_saved",
    "adoption_rate",
    "active_users",
    "user_retention",
    "incidents_by_cause",
    "mean_time_to_detect",
    "mean_time_to_resolve",
]
RATIO = ["value", "numerator", "denominator", "flag"]


@pytest.fixture(scope="module")
def con():
    return run_sql(RAW, BUSINESS_METRICS, as_of=AS_OF)


def test_work_items_handled_golden(con):
    # closed items per closed week; W0 lies before the calendar, so no partial flag there
    assert_metric(
        con,
        "work_items_handled",
        ("week_start", "system"),
        ["value", "assisted_items", "flag"],
        one_system(
            {
                (W0,): [1, 1, None],
                (W1,): [6, 3, None],
                (W2,): [2, 1, None],
            }
        ),
    )


def test_ai_assisted_share_golden(con):
    assert_metric(
        con,
        "ai_assisted_share",
        ("week_start", "system"),
        RATIO,
        one_system(
            {
                (W0,): [1.0, 1, 1, None],
                (W1,): [0.5, 3, 6, None],
                (W2,): [0.5, 1, 2, None],
            }
        ),
    )


def test_handle_minutes_median_golden(con):
    # W1 with AI [20, 30] -> 25; without [40, 50, 90] -> 50; all [20, 30, 40, 50, 90] -> 40
    assert_metric(
        con,
        "handle_minutes_median",
        ("week_start", "system", "ai_assisted"),
        ["value", "n", "flag"],
        {
            # the system's rows: the items it assisted
            (W0, SYSTEM, True): [10, 1, None],
            (W0, SYSTEM, None): [10, 1, None],
            (W1, SYSTEM, True): [25, 2, None],
            (W1, SYSTEM, None): [25, 2, None],
            (W2, SYSTEM, True): [14, 1, None],
            (W2, SYSTEM, None): [14, 1, None],
            # the company's: every item
            (W0, None, True): [10, 1, None],
            (W0, None, None): [10, 1, None],
            (W1, None, True): [25, 2, None],
            (W1, None, False): [50, 3, None],
            (W1, None, None): [40, 5, None],
            (W2, None, True): [14, 1, None],
            (W2, None, False): [45, 1, None],
            (W2, None, None): [29.5, 2, None],
        },
    )


def test_handle_minutes_mean_golden(con):
    # W1 without AI (40 + 50 + 90) / 3 = 60; all 230 / 5 = 46
    assert_metric(
        con,
        "handle_minutes_mean",
        ("week_start", "system", "ai_assisted"),
        RATIO,
        {
            (W0, SYSTEM, True): [10, 10, 1, None],
            (W0, SYSTEM, None): [10, 10, 1, None],
            (W1, SYSTEM, True): [25, 50, 2, None],
            (W1, SYSTEM, None): [25, 50, 2, None],
            (W2, SYSTEM, True): [14, 14, 1, None],
            (W2, SYSTEM, None): [14, 14, 1, None],
            (W0, None, True): [10, 10, 1, None],
            (W0, None, None): [10, 10, 1, None],
            (W1, None, True): [25, 50, 2, None],
            (W1, None, False): [60, 180, 3, None],
            (W1, None, None): [46, 230, 5, None],
            (W2, None, True): [14, 14, 1, None],
            (W2, None, False): [45, 45, 1, None],
            (W2, None, None): [29.5, 59, 2, None],
        },
    )


def test_hours_saved_golden(con):
    # W1 baseline 45 (version of 2026-01-01): (45 - 20) + (45 - 30) = 40 min = 2/3 h (i3 untimed)
    # W2 baseline 50 (version of 2026-03-09): 50 - 14 = 36 min = 0.6 h
    # W0 (2025-12-15): no baseline version in force yet -> no row
    assert_metric(
        con,
        "hours_saved",
        ("week_start", "system"),
        ["value", "baseline_minutes", "assisted_items", "actual_minutes", "flag"],
        one_system(
            {
                (W1,): [40 / 60, 45, 2, 50, None],
                (W2,): [0.6, 50, 1, 14, None],
            }
        ),
    )


def test_adoption_rate_golden(con):
    # W1 eligible: u1 (A), u3 (B, until 03-04), u4, u5 (B); u2 only from 03-09. Active: u1, u3
    # (u9 is not in the register). W2 eligible: u1, u2 (A), u4, u5 (B); u5 idle. W3: nobody.
    assert_metric(
        con,
        "adoption_rate",
        ("week_start", "system", "team"),
        RATIO,
        one_system(
            {
                (W1, "A"): [1.0, 1, 1, None],
                (W1, "B"): [1 / 3, 1, 3, None],
                (W1, None): [0.5, 2, 4, None],
                (W2, "A"): [1.0, 2, 2, None],
                (W2, "B"): [0.5, 1, 2, None],
                (W2, None): [0.75, 3, 4, None],
                (W3, "A"): [0.0, 0, 2, "partial"],
                (W3, "B"): [0.0, 0, 2, "partial"],
                (W3, None): [0.0, 0, 4, "partial"],
            }
        ),
    )


def test_active_users_golden(con):
    assert_metric(
        con,
        "active_users",
        ("week_start", "system"),
        ["value", "flag"],
        one_system(
            {
                (W1,): [3, None],  # u1, u3, u9
                (W2,): [3, None],  # u1, u2, u4
                (W3,): [0, "partial"],
            }
        ),
    )


def test_user_retention_golden(con):
    # W2: of {u1, u3, u9} only u1 came back; W3: none of {u1, u2, u4}
    assert_metric(
        con,
        "user_retention",
        ("week_start", "system"),
        RATIO,
        one_system(
            {
                (W2,): [1 / 3, 1, 3, None],
                (W3,): [0.0, 0, 3, "partial"],
            }
        ),
    )


def test_incidents_by_cause_golden(con):
    # (week, cause): incidents of the company (every incident, n3 not attributed included) and
    # of the system (n1, n2, n4; every week from its first incident on); W3 is partial
    counts = {
        (W1, "outage"): (2, 1),
        (W1, "data_drift"): (1, 1),
        (W1, None): (3, 2),
        (W2, None): (0, 0),
        (W3, "model_regression"): (1, 1),
        (W3, None): (1, 1),
    }
    expected = {
        (week, system, cause): [n, "partial" if week == W3 else None]
        for (week, cause), by_whom in counts.items()
        for system, n in zip((None, SYSTEM), by_whom, strict=True)
    }
    key = ("week_start", "system", "cause")
    assert_metric(con, "incidents_by_cause", key, ["value", "flag"], expected)


def test_mean_time_to_detect_golden(con):
    # W1: (90 + 30 + 60) / 3 = 60 minutes
    assert_metric(
        con,
        "mean_time_to_detect",
        ("week_start", "system"),
        RATIO,
        {
            (W1, None): [60, 180, 3, None],
            (W3, None): [15, 15, 1, "partial"],
            (W1, SYSTEM): [60, 120, 2, None],  # n1, n2: (90 + 30) / 2
            (W3, SYSTEM): [15, 15, 1, "partial"],
        },
    )


def test_mean_time_to_resolve_golden(con):
    # by the week of resolution; open_incidents = detected by then, not resolved by week end
    assert_metric(
        con,
        "mean_time_to_resolve",
        ("week_start", "system"),
        ["value", "numerator", "denominator", "open_incidents", "flag"],
        {
            (W1, None): [180, 180, 1, 2, None],  # n1; open: n2, n3
            (W2, None): [8640, 8640, 1, 1, None],  # n2; open: n3
            (W3, None): [30, 30, 1, 1, "partial"],  # n4; open: n3
            (W1, SYSTEM): [180, 180, 1, 1, None],  # n1; open: n2 (n3 is no system's)
            (W2, SYSTEM): [8640, 8640, 1, 0, None],
            (W3, SYSTEM): [30, 30, 1, 0, "partial"],
        },
    )


def test_hours_saved_sums_are_the_same_whatever_the_thread_count():
    # actual_minutes feeds the ROI ledger (roi.time_saved), which must be byte-identical on
    # every build: a DOUBLE sum of 3M handle times differs in its last digits with the number
    # of threads adding it up; the metric sums exact DECIMALs instead.
    con = run_sql({"assumptions": ASSUMPTIONS})
    con.execute(
        """
        insert into raw.work_items (item_id, opened_at, closed_at, team, customer_id,
                                    ai_assisted, handle_minutes, _load_id)
        select 'big-' || i, timestamp '2026-03-03 08:00:00', timestamp '2026-03-04 08:00:00',
               't', 'c', true, random() * 100, 'L1'
        from range(3000000) as r(i)
        """
    )
    sql = (SQL_DIR / "metrics" / "hours_saved.sql").read_text()
    seen = set()
    for threads in (1, 2, 4):
        con.execute(f"set threads = {threads}")
        seen.add(
            tuple(
                con.execute(
                    f"select week_start, actual_minutes::varchar, value from ({sql}) order by 1"
                ).fetchall()
            )
        )
    assert len(seen) == 1
    (rows,) = seen
    assert len(rows) == 1 and len(rows[0][1].split(".")[1]) == 10  # one week, DECIMAL(38,10)
