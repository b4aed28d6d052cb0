"""What needs action in the weekly review, the sign-off checklist, formats from the header's
unit, and the workbench's schema browser (issue 16), over hand-made snapshots."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from outcomes.app.views import schema_browser
from outcomes.app.views.weekly_review import changes, checklist, triage
from outcomes.core.formats import format_change, format_value
from outcomes.store.state_alerts import Acknowledgement
from tests.app.test_review import W, snap  # noqa: F401 - the fixture

AT = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)


def _ack(i, key, action="acknowledge", weeks=None, ref=None):
    start, end = ref or (None, None)
    return Acknowledgement(i, key, "ana", "why", AT, action, weeks, start, end)


def test_groups_weeks_ongoing_and_worsened(snap) -> None:  # noqa: F811
    # acc: 0.78 in W2 (alert), 0.88 in W1 (fine) -> new; W3 is partial: nothing
    t = triage.triage(snap, W[2]).set_index("series")
    assert t.loc["acc", "group"] == "new" and t.loc["acc", "weeks_ongoing"] == 1
    # acc alerting in W2 only: in W3 it is resolved
    t3 = triage.triage(snap, W[3]).set_index("series")
    assert t3.loc["acc", "group"] == "resolved" and t3.loc["acc", "weeks_ongoing"] == 0


def _series(group, worsened=False, weeks=1, owner="ml@x", since=W[2]):
    return pd.DataFrame(
        {
            "series": ["m|f=x"],
            "alert_key": [f"m|{W[2]}|f=x"],
            "metric": ["m"],
            "title": ["Drift"],
            "dimension": ["f=x"],
            "group": [group],
            "level": ["alert"],
            "previous_level": ["warn"],
            "value": [0.3],
            "previous_value": [0.2],
            "threshold": [0.25],
            "unit": ["score"],
            "owner": [owner],
            "weeks_ongoing": [weeks],
            "worsened": [worsened],
            "since": [since],
        }
    )


def test_reasons_follow_the_review_order() -> None:
    state = triage.with_state(_series("new", owner=None), [], W[2])
    assert state["reasons"].iloc[0] == ["new", "unowned", "unacknowledged"]
    old = triage.with_state(_series("ongoing", worsened=True, weeks=5, since=W[0]), [], W[2])
    assert old["reasons"].iloc[0] == ["worsened", "unacknowledged", "overdue"]
    assert triage.with_state(_series("resolved"), [], W[2])["needs_action"].iloc[0] == False  # noqa: E712


def test_a_snooze_covers_n_weeks_unless_it_worsens() -> None:
    snooze = _ack(1, f"m|{W[0]}|f=x", "snooze", weeks=2)
    covered = triage.with_state(_series("ongoing", weeks=3, since=W[0]), [snooze], W[2])
    assert covered["handled"].iloc[0] == "snoozed" and not covered["needs_action"].iloc[0]
    assert "until the week of 2026-01-19" in covered["handled_text"].iloc[0]
    worse = triage.with_state(
        _series("ongoing", worsened=True, weeks=3, since=W[0]), [snooze], W[2]
    )
    assert worse["needs_action"].iloc[0], "worse than when snoozed: it pages again"
    expired = _ack(1, f"m|{W[0]}|f=x", "snooze", weeks=1)
    assert triage.with_state(_series("ongoing", weeks=3, since=W[0]), [expired], W[2])[
        "needs_action"
    ].iloc[0]


def test_an_accepted_reference_covers_its_run_only() -> None:
    accept = _ack(1, f"m|{W[1]}|f=x", "accept_reference", ref=(W[0], W[1]))
    same_run = triage.with_state(_series("ongoing", weeks=2, since=W[1]), [accept], W[2])
    assert same_run["handled"].iloc[0] == "accepted"
    assert (
        "new reference 2026-01-05 to 2026-01-12 accepted by ana" in same_run["handled_text"].iloc[0]
    )
    came_back = triage.with_state(_series("new", since=W[2]), [accept], W[2])
    assert came_back["needs_action"].iloc[0]


def test_checklist_and_open_items() -> None:
    state = triage.with_state(_series("new"), [], W[2])
    items = checklist.open_items(state, {"sampled": 20, "judged": 20}, [])
    assert items == ["1 alert needs action: Drift (f=x)"]
    done = triage.with_state(_series("new"), [_ack(1, f"m|{W[2]}|f=x")], W[2])
    assert checklist.open_items(done, {"sampled": 20, "judged": 20}, []) == []
    assert all(ok for _, ok in checklist.checklist(done, {"sampled": 2, "judged": 2}, []))


def test_biggest_changes_in_the_unit() -> None:
    card = pd.DataFrame(
        {
            "title": ["Cost per call", "Latency"],
            "unit": ["usd", "ms"],
            "value": [0.0031, 240.0],
            "previous": [0.0042, 200.0],
            "change": [-0.0011, 40.0],
            "change_pct": [-0.2619, 0.2],
            "status": ["ok", "warn"],
        }
    )
    moved = changes.biggest_changes(card)
    assert moved.iloc[0].tolist() == [
        "Cost per call",
        "$0.0042",
        "$0.0031",
        "−$0.0011",
        "−26%",
        "ok",
    ]
    assert moved.iloc[1]["now"] == "240 ms"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.004, "usd", "$0.004"),
        (-0.0000001, "usd", "−$1.0e-7"),
        (-0.001, "ratio", "−0.1%"),
        (1.5, "hours", "1.5 h"),
        (0.0, "usd", "$0.00"),
        (8.3e-33, "score", "8.3e-33"),
    ],
)
def test_formats_never_hide_a_small_value(value, unit, text) -> None:
    assert format_value(value, unit) == text


def test_a_change_rounding_to_zero_reads_as_no_change() -> None:
    assert format_change(0.0, "usd") == "±$0.00"


def test_schema_browser_lists_every_table_with_descriptions(demo_settings) -> None:
    from outcomes.store.snapshot import open_snapshot

    con = open_snapshot(demo_settings)
    try:
        tables = schema_browser.schema_tables(con)
        columns = schema_browser.schema_columns(con)
    finally:
        con.close()
    assert {"raw", "staging", "metrics", "roi", "main"} <= set(tables["schema"])
    accuracy = tables.set_index("table").loc["metrics.accuracy", "description"]
    assert accuracy.startswith("Accuracy: ")
    event_id = columns[(columns["table"] == "ai_events") & (columns["column"] == "event_id")]
    assert set(event_id["description"]) == {"Unique id of the AI event."}
    flag = columns[(columns["table"] == "accuracy") & (columns["column"] == "flag")]
    assert flag["type"].iloc[0] == "VARCHAR" and "provisional" in flag["description"].iloc[0]


def test_a_single_week_chart_has_one_label_and_a_visible_point() -> None:
    from outcomes.app import charts

    one = pd.DataFrame({"week_start": [W[0]], "value": [0.9]})
    spec = charts.trend_chart(one, title="A " * 60, y_title="Accuracy", unit="ratio").to_dict()
    x = spec["layer"][0]["layer"][0]["encoding"]["x"]
    assert len(x["axis"]["values"]) == 1 and len(x["scale"]["domain"]) == 2
    assert isinstance(spec["title"]["text"], list), "a long title wraps instead of clipping"


def test_legends_sit_under_the_plot() -> None:
    from outcomes.app import charts

    two = pd.DataFrame({"week_start": W[:2], "value": [0.9, 0.8], "v": ["a", "b"]})
    spec = charts.trend_chart(
        two, title="t", y_title="y", unit="ms", color_field="v", thresholds={"warn": 1}
    ).to_dict()
    assert '"orient": "bottom"' in __import__("json").dumps(spec)
