"""Sign-off per AI system (issue 15): migration 8, one sign-off per week, person and system,
and older rows read as the company review."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from outcomes.store.state import StateStore
from outcomes.store.state_file import StateValidationError
from outcomes.store.state_schema import LATEST_VERSION, apply_migrations
from outcomes.store.state_signoffs import ALL_SYSTEMS

WEEK = date(2026, 11, 9)


class Clock:
    def __init__(self) -> None:
        self.current = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / "state.sqlite", now=Clock())


def test_a_person_signs_the_company_and_each_system_once(store: StateStore) -> None:
    store.sign_off(WEEK, "ops@example.com", "company ok")
    store.sign_off(WEEK, "ops@example.com", "matcher ok", system="invoice-matcher")
    store.sign_off(WEEK, "ops@example.com", "assistant ok", system="ticket-assistant")
    assert [s.comment for s in store.signoffs(WEEK)] == ["company ok"]
    assert [s.comment for s in store.signoffs(WEEK, "invoice-matcher")] == ["matcher ok"]
    assert [s.system for s in store.signoffs(WEEK, ALL_SYSTEMS)] == [
        None,
        "invoice-matcher",
        "ticket-assistant",
    ]
    with pytest.raises(StateValidationError, match=r"already signed off .*invoice-matcher"):
        store.sign_off(WEEK, "ops@example.com", "again", system="invoice-matcher")


def test_the_trigger_refuses_a_second_sign_off_of_the_same_system(
    store: StateStore, tmp_path: Path
) -> None:
    store.sign_off(WEEK, "ops@example.com", system="invoice-matcher")
    conn = sqlite3.connect(tmp_path / "state.sqlite")
    insert = (
        "insert into signoffs (week_start, author, comment, created_at, system) "
        "values (?, 'ops@example.com', '', '2026-11-12T09:00:00.000000Z', ?)"
    )
    with pytest.raises(sqlite3.IntegrityError, match="already signed off"):
        conn.execute(insert, (WEEK.isoformat(), "invoice-matcher"))
    conn.execute(insert, (WEEK.isoformat(), "ticket-assistant"))  # another system is fine
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute(insert, (WEEK.isoformat(), "  "))
    conn.close()


def test_an_older_file_keeps_its_sign_offs_as_the_company_review(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    assert apply_migrations(path, up_to=7) == 7
    conn = sqlite3.connect(path)
    conn.execute(
        "insert into signoffs (week_start, author, comment, created_at) "
        "values ('2026-11-02', 'cfo@example.com', 'old', '2026-11-05T09:00:00.000000Z')"
    )
    conn.commit()
    conn.close()
    store = StateStore(path, now=Clock())
    assert store.schema_version() == LATEST_VERSION
    (old,) = store.signoffs(date(2026, 11, 2))
    assert (old.system, old.comment) == (None, "old")
    assert store.signoffs(date(2026, 11, 2), "invoice-matcher") == []


def test_signoffs_between_reads_every_system_of_the_weeks(store: StateStore) -> None:
    for weeks_back in range(5):
        store.sign_off(
            WEEK - timedelta(weeks=weeks_back), "ops@example.com", system="ticket-assistant"
        )
    found = store.signoffs_between(WEEK - timedelta(weeks=3), WEEK)
    assert sorted(s.week_start for s in found) == [WEEK - timedelta(weeks=n) for n in (3, 2, 1, 0)]
    assert {s.system for s in found} == {"ticket-assistant"}


def test_the_audit_entry_names_the_system(store: StateStore) -> None:
    store.sign_off(WEEK, "ops@example.com", system="invoice-matcher")
    entry = store.audit_log()[-1]
    assert entry.entity_key == f"{WEEK} (invoice-matcher)"
