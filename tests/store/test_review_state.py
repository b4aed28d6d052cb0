"""What issue 16 added to the state store: snoozes and accepted references on
acknowledgements, one sign-off per week and owner with a reason over open items, and the
digest's delivery log."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from outcomes.store.state import StateStore
from outcomes.store.state_file import StateValidationError

WEEK = date(2024, 3, 4)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    clock = iter(datetime(2024, 3, 6, 9, 0, tzinfo=UTC) + timedelta(seconds=i) for i in range(99))
    return StateStore(tmp_path / "state.sqlite", now=lambda: next(clock))


def test_a_snooze_and_an_accepted_reference_are_stored_with_who_and_why(store: StateStore) -> None:
    store.acknowledge_alert("m|2024-03-04", "ana", "known", action="snooze", snooze_weeks=3)
    store.acknowledge_alert(
        "psi|2024-03-04|feature=x",
        "bo",
        "new catalogue since March",
        action="accept_reference",
        reference=(date(2024, 2, 5), date(2024, 3, 4)),
    )
    snooze, accept = store.acknowledgements()
    assert (snooze.action, snooze.snooze_weeks) == ("snooze", 3)
    assert (accept.action, accept.reference_start, accept.reference_end) == (
        "accept_reference",
        date(2024, 2, 5),
        date(2024, 3, 4),
    )
    assert store.audit_log(entity="alert")[0].detail["reference_start"] == "2024-02-05"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": "snooze"},
        {"action": "snooze", "snooze_weeks": 0},
        {"action": "accept_reference", "reference": (date(2024, 3, 4), date(2024, 3, 4))},
        {"action": "shout"},
    ],
)
def test_an_incomplete_snooze_or_reference_is_refused(store: StateStore, kwargs) -> None:
    with pytest.raises(StateValidationError):
        store.acknowledge_alert("m|2024-03-04", "ana", "", **kwargs)


def test_one_signoff_per_week_and_owner_and_open_items_need_a_reason(
    store: StateStore, tmp_path: Path
) -> None:
    with pytest.raises(StateValidationError, match="reason"):
        store.sign_off(WEEK, "ana", open_items=["2 alerts unacknowledged"])
    store.sign_off(WEEK, "ana", open_items=["2 alerts unacknowledged"], reason="retrain Friday")
    with pytest.raises(StateValidationError, match="already signed off"):
        store.sign_off(WEEK, "ana")
    store.sign_off(WEEK, "bo")  # another owner signs their own
    ana, bo = store.signoffs(WEEK)
    assert ana.open_items == ("2 alerts unacknowledged",) and ana.reason == "retrain Friday"
    assert bo.open_items == () and bo.reason == ""
    # the file itself refuses a second sign-off, whatever writes it
    with sqlite3.connect(tmp_path / "state.sqlite") as raw, pytest.raises(sqlite3.DatabaseError):
        raw.execute(
            "insert into signoffs (week_start, author, comment, created_at) "
            "values ('2024-03-04', 'ana', '', 'x')"
        )


def test_the_delivery_log_refuses_a_second_delivery(store: StateStore) -> None:
    assert not store.delivered(WEEK, "webhook", "https://hooks.example/ops")
    store.record_delivery(WEEK, "webhook", "https://hooks.example/ops", 4)
    assert store.delivered(WEEK, "webhook", "https://hooks.example/ops")
    assert not store.delivered(WEEK, "email", "https://hooks.example/ops")
    with pytest.raises(sqlite3.DatabaseError):
        store.record_delivery(WEEK, "webhook", "https://hooks.example/ops", 4)
    assert [d.items for d in store.deliveries(WEEK)] == [4]
