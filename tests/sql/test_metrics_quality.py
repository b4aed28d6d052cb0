"""Golden tests of the data-quality metrics (sql/metrics/dq_*.sql, kind: quality).

Expected rows are worked out by hand. Two loads: L1 (started 2026-03-04, week W1) brought
4 ai_events, 1 feedback row, 1 user and rejected 3 ai_events rows; L2 (2026-03-10, week W2)
brought 2 feedback rows and rejected 2. as_of 2026-03-18 12:00: W3 is the partial week.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from tests.metricfixtures import RATIO, assert_metric, event, feedback, ratio_rows, run_metric
from tests.sql.systemrows import one_system
from tests.sqlharness import rows, run_sql

W1 = dt.date(2026, 3, 2)
W2 = dt.date(2026, 3, 9)
W3 = dt.date(2026, 3, 16)
AS_OF = "2026-03-18 12:00:00"

EVENTS = [
    event("e1", "2026-03-03 10:00:00"),
    event("e2", "2026-03-03 10:00:00"),
    event("e3", "2026-03-03 12:00:00"),
    # accepted with a required column empty: ingest should never let this in; counted if it does
    event("e4", "2026-03-03 13:00:00", customer_id=None),
]
FEEDBACK = [
    feedback("e1", "2026-03-05 10:00:00"),  # 48 h after its event; loaded by L1
    feedback("e2", "2026-03-10 11:00:00"),  # 7 days 1 hour (169 h): late; loaded by L2
    feedback("e3", "2026-03-10 12:00:00"),  # exactly 7 days (168 h): in time; loaded by L2
]
USERS = [{"user_id": "u1", "team": "A", "eligible_from": "2026-01-01", "eligible_to": None}]


def _rejected(
    load_id: str, table: str, row_number: int, *failures: tuple[str, str]
) -> dict[str, object]:
    column, rule = failures[0]
    return {
        "load_id": load_id,
        "table_name": table,
        "source_file": f"/data/{table}.csv",
        "row_number": row_number,
        "column_name": column,
        "rule": rule,
        "reason": f"{column} failed {rule}",
        "raw_values": json.dumps({column: ""}),
        "failures": json.dumps([{"column": c, "rule": r, "reason": "x"} for c, r in failures]),
    }


QUARANTINE = pd.DataFrame(
    [
        _rejected("L1", "ai_events", 5, ("customer_id", "required")),
        _rejected("L1", "ai_events", 6, ("occurred_at", "type"), ("user_id", "required")),
        _rejected("L1", "ai_events", 7, ("event_id", "duplicate_key")),
        _rejected("L2", "feedback", 3, ("event_id", "duplicate_row")),
        _rejected("L2", "feedback", 4, ("labeled_at", "not_future")),
    ]
)
DQ_METRICS = [
    "dq_null_rate",
    "dq_duplicate_rate",
    "dq_quarantined_rows",
    "dq_late_labels",
    "dq_freshness_hours",
]


@pytest.fixture(scope="module")
def con():
    con = run_sql(
        {"ai_events": EVENTS, "feedback": FEEDBACK, "users": USERS},
        as_of=AS_OF,
        extra_tables={"raw.quarantine": QUARANTINE},
    )
    con.execute(
        "update raw.loads set started_at = timestamp '2026-03-04 06:00:00' where load_id = 'L1'"
    )
    con.execute(
        "insert into raw.loads (load_id, table_name, started_at) "
        "values ('L2', 'feedback', timestamp '2026-03-10 09:00:00')"
    )
    con.execute("update raw.feedback set _load_id = 'L2' where event_id in ('e2', 'e3')")
    for name in DQ_METRICS:
        run_metric(con, name)
    return con


# per (week, source; None: every source): rows in (accepted + rejected), rows missing a
# required value, duplicate rows. W1: ai_events in = 4 accepted + 3 rejected = 7; missing
# required: e4 (accepted), row 5 (required), row 6 (first failure 'type', second 'required') = 3;
# duplicate: row 7. feedback 0/1, users 0/1, total 3/9. W2: feedback 2 accepted + 2 rejected,
# none for 'required', one duplicate_row.
ROWS_IN = {
    (W1, "ai_events"): (7, 3, 1),
    (W1, "feedback"): (1, 0, 0),
    (W1, "users"): (1, 0, 0),
    (W1, None): (9, 3, 1),
    (W2, "feedback"): (4, 0, 1),
    (W2, None): (4, 0, 1),
}
GOLDEN = {  # metric: (key, columns, expected rows)
    "dq_null_rate": (
        ("week_start", "source"),
        RATIO,
        ratio_rows({k: (missing, n) for k, (n, missing, _) in ROWS_IN.items()}),
    ),
    "dq_duplicate_rate": (
        ("week_start", "source"),
        RATIO,
        ratio_rows({k: (duplicates, n) for k, (n, _, duplicates) in ROWS_IN.items()}),
    ),
    # by the row's first rule; the total row exists for every calendar week
    "dq_quarantined_rows": (
        ("week_start", "source", "rule"),
        ["value", "flag"],
        {
            (W1, "ai_events", "required"): [1, None],
            (W1, "ai_events", "type"): [1, None],
            (W1, "ai_events", "duplicate_key"): [1, None],
            (W1, "ai_events", None): [3, None],
            (W1, None, None): [3, None],
            (W2, "feedback", "duplicate_row"): [1, None],
            (W2, "feedback", "not_future"): [1, None],
            (W2, "feedback", None): [2, None],
            (W2, None, None): [2, None],
            (W3, None, None): [0, "partial"],
        },
    ),
    # by the week the label arrived: W1 e1 (48 h); W2 e2 (169 h, late), e3 (168 h, not late)
    "dq_late_labels": (
        ("week_start", "system"),
        ["value", "numerator", "denominator", "median_delay_hours", "flag"],
        one_system(
            {
                (W1,): [0.0, 0, 1, 48, None],
                (W2,): [0.5, 1, 2, 168.5, None],
            }
        ),
    ),
    # newest ai_event 03-03 13:00; newest label 03-05 10:00 (W1), 03-10 12:00 (W2).
    # reference: end of W1 03-09 00:00, end of W2 03-16 00:00, W3 as_of 03-18 12:00.
    # W1: events 5d11h = 131 h, labels 3d14h = 86 h; W2: 12d11h = 299, 5d12h = 132;
    # W3: 14d23h = 359, 8d = 192. Total = the stalest source. All above 48 h: stale.
    "dq_freshness_hours": (
        ("week_start", "system", "source"),
        ["value", "stale", "flag"],
        one_system(
            {
                (W1, "ai_events"): [131, True, None],
                (W1, "feedback"): [86, True, None],
                (W1, None): [131, True, None],
                (W2, "ai_events"): [299, True, None],
                (W2, "feedback"): [132, True, None],
                (W2, None): [299, True, None],
                (W3, "ai_events"): [359, True, None],
                (W3, "feedback"): [192, True, None],
                (W3, None): [359, True, None],
            }
        ),
    ),
}


@pytest.mark.parametrize("metric", GOLDEN)
def test_dq_golden(con, metric):
    key, columns, expected = GOLDEN[metric]
    assert_metric(con, metric, key, columns, expected)


def test_dq_freshness_uses_the_local_week_end():
    # New York: the week of 03-09 ends at local midnight 03-16 = 04:00 UTC (EDT since 03-08)
    from outcomes.config import Settings

    con = run_sql(
        {"ai_events": [event("e1", "2026-03-03 10:00:00"), event("e2", "2026-03-15 20:00:00")]},
        ["dq_freshness_hours"],
        settings=Settings(timezone="America/New_York"),
        as_of=AS_OF,
    )
    got = dict(
        rows(
            con,
            "select week_start, value from metrics.dq_freshness_hours "
            "where source is null and system is null",
        )
    )
    # W1 ends 03-09 00:00 EDT = 04:00 UTC; newest 03-03 10:00 -> 5d18h = 138 h
    # W2 ends 03-16 04:00 UTC; newest 03-15 20:00 -> 8 h; W3: as_of 03-18 12:00 -> 64 h
    assert got == pytest.approx({W1: 138.0, W2: 8.0, W3: 64.0})


def test_dq_volume_vs_trailing_golden():
    # ai_events per week W1..W7 (03-02 .. 04-13): 2, 4, 6, 0, 8, 4, 1; as_of inside W7
    weeks = [dt.date(2026, 3, 2) + dt.timedelta(days=7 * i) for i in range(7)]
    counts = [2, 4, 6, 0, 8, 4, 1]
    events = [
        event(f"w{i}n{k}", f"{w} 0{k % 9}:30:00")
        for i, (w, n) in enumerate(zip(weeks, counts, strict=True))
        for k in range(n)
    ]
    con = run_sql({"ai_events": events}, ["dq_volume_vs_trailing"], as_of="2026-04-13 12:00:00")
    # W1: no week before -> no row; W2 4/2; W3 6/mean(2,4); W4 0/mean(2,4,6) - insufficient;
    # W5 8/mean(2,4,6,0)=8/3; W6 4/mean(4,6,0,8)=4/4.5; W7 1/mean(6,0,8,4) partial
    expected = {
        weeks[1]: [2.0, 4, 2, "insufficient"],
        weeks[2]: [2.0, 6, 3, "insufficient"],
        weeks[3]: [0.0, 0, 4, "insufficient"],
        weeks[4]: [8 / 3, 8, 3, None],
        weeks[5]: [4 / 4.5, 4, 4.5, None],
        weeks[6]: [1 / 4.5, 1, 4.5, "partial"],
    }
    table = one_system({(w, s): v for w, v in expected.items() for s in ("ai_events", None)})
    assert_metric(con, "dq_volume_vs_trailing", ("week_start", "system", "source"), RATIO, table)
