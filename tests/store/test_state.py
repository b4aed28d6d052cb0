"""The state store over real SQLite files: migrations, round-trips, audit, concurrency."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from outcomes.store import state_schema
from outcomes.store.state import StateStore
from outcomes.store.state_alerts import alert_key
from outcomes.store.state_annotations import AnnotationKind
from outcomes.store.state_file import StateSchemaError, StateValidationError
from outcomes.store.state_schema import LATEST_VERSION, MIGRATIONS, apply_migrations
from outcomes.store.state_verdicts import Verdict

ROOT = Path(__file__).resolve().parents[2]
WEEK = date(2024, 3, 4)
APPEND_ONLY = (
    "audit_log",
    "schema_migrations",
    "annotations",
    "alert_acknowledgements",
    "signoffs",
    "output_verdicts",
    "assumption_changes",
)


class Clock:
    """An injectable `now` that ticks one second per call."""

    def __init__(self, start: datetime = datetime(2024, 3, 6, 9, 0, tzinfo=UTC)) -> None:
        self.current = start

    def __call__(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "state.sqlite"


@pytest.fixture
def store(path: Path) -> StateStore:
    return StateStore(path, now=Clock())


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None, timeout=10)


def tables(path: Path) -> set[str]:
    with raw(path) as conn:
        rows = conn.execute("select name from sqlite_master where type = 'table'").fetchall()
    return {r[0] for r in rows}


def count(path: Path, table: str) -> int:
    conn = raw(path)
    try:
        return int(conn.execute(f"select count(*) from {table}").fetchone()[0])
    finally:
        conn.close()


# -- migrations -----------------------------------------------------------------------------


def test_migrations_are_numbered_one_to_latest_in_order() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))
    assert all(m.description.strip() for m in MIGRATIONS)


def test_fresh_file_is_created_in_wal_mode_at_the_latest_version(path: Path) -> None:
    store = StateStore(path)
    assert path.exists()  # parent folder created too
    assert store.schema_version() == LATEST_VERSION
    applied = store.applied_migrations()
    assert [(v, d) for v, _, d in applied] == [(m.version, m.description) for m in MIGRATIONS]
    assert all(at.endswith("Z") for _, at, _ in applied)
    conn = raw(path)
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert conn.execute("pragma user_version").fetchone()[0] == LATEST_VERSION
    conn.close()
    assert set(APPEND_ONLY) <= tables(path)


def test_reopening_is_idempotent_and_keeps_data(path: Path) -> None:
    StateStore(path).add_annotation(WEEK, "v2 deployed", "deploy", "ana")
    again = StateStore(path)
    StateStore(path)
    assert again.schema_version() == LATEST_VERSION
    assert len(again.applied_migrations()) == LATEST_VERSION
    assert [a.text for a in again.annotations()] == ["v2 deployed"]


def test_a_v1_file_is_migrated_forward_keeping_its_rows(path: Path) -> None:
    assert apply_migrations(path, up_to=1) == 1
    assert "audit_log" in tables(path)
    assert "annotations" not in tables(path)
    with raw(path) as conn:
        conn.execute(
            "insert into audit_log (at, actor, action, entity, entity_key, detail) "
            "values ('2024-01-01T00:00:00.000000Z', 'old', 'edit', 'metric', 'm', '{}')"
        )

    store = StateStore(path)

    assert store.schema_version() == LATEST_VERSION
    assert [v for v, _, _ in store.applied_migrations()] == list(range(1, LATEST_VERSION + 1))
    assert [e.actor for e in store.audit_log()] == ["old"]
    store.record_verdict("e1", WEEK, "correct", "ana")  # a table from a later migration works
    assert len(store.verdicts()) == 1


def test_migrating_step_by_step_matches_a_fresh_file(tmp_path: Path) -> None:
    stepped, fresh = tmp_path / "stepped.sqlite", tmp_path / "fresh.sqlite"
    for version in range(LATEST_VERSION + 1):
        assert apply_migrations(stepped, up_to=version) == version
    apply_migrations(fresh)

    def schema(p: Path) -> list[tuple[str, str]]:
        with raw(p) as conn:
            return conn.execute("select name, sql from sqlite_master order by name").fetchall()

    assert schema(stepped) == schema(fresh)


def test_a_file_from_a_newer_version_is_refused(path: Path) -> None:
    apply_migrations(path)
    with raw(path) as conn:
        conn.execute(f"pragma user_version = {LATEST_VERSION + 1}")
    with pytest.raises(StateSchemaError, match=rf"version {LATEST_VERSION + 1} is newer.*upgrade"):
        StateStore(path)


def test_an_open_store_refuses_a_file_upgraded_by_a_newer_version(store: StateStore) -> None:
    with raw(store.path) as conn:
        conn.execute(f"pragma user_version = {LATEST_VERSION + 1}")
    with pytest.raises(StateSchemaError, match="newer"):
        store.add_annotation(WEEK, "x", "other", "ana")
    with pytest.raises(StateSchemaError, match="newer"):
        store.annotations()


def test_a_foreign_sqlite_file_is_refused(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with raw(path) as conn:
        conn.execute("create table customers (id integer)")
    with pytest.raises(StateSchemaError, match=r"customers.*no state store schema version"):
        StateStore(path)


def test_a_file_that_is_not_sqlite_is_refused(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("week_start,value\n2024-01-01,3\n" * 200)
    with pytest.raises(StateSchemaError, match="not a SQLite file"):
        StateStore(path)


def test_in_memory_paths_are_refused() -> None:
    with pytest.raises(StateValidationError, match="needs a file"):
        StateStore(":memory:")


def test_apply_migrations_rejects_an_unknown_target(path: Path) -> None:
    with pytest.raises(ValueError, match="up_to"):
        apply_migrations(path, up_to=LATEST_VERSION + 1)


def test_a_failing_migration_leaves_the_file_at_the_previous_version(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = (
        *MIGRATIONS,
        state_schema.Migration(LATEST_VERSION + 1, "broken", "create table x (a);\nnonsense;"),
    )
    monkeypatch.setattr(state_schema, "MIGRATIONS", broken)
    monkeypatch.setattr(state_schema, "LATEST_VERSION", LATEST_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError):
        apply_migrations(path)
    with raw(path) as conn:
        assert conn.execute("pragma user_version").fetchone()[0] == LATEST_VERSION
    assert "x" not in tables(path)
    assert count(path, "schema_migrations") == LATEST_VERSION


# -- round-trips ----------------------------------------------------------------------------


def test_annotations_round_trip_and_filter(store: StateStore) -> None:
    w1, w2, w3 = WEEK, WEEK + timedelta(days=7), WEEK + timedelta(days=14)
    a = store.add_annotation(
        w2, " model v2 deployed ", AnnotationKind.deploy, "ana", metric="accuracy"
    )
    b = store.add_annotation(w1, "outage 2h", "incident", "bo")
    c = store.add_annotation(
        w3, "price change", "business_event", "cy", metric="cost_per_inference"
    )

    everything = store.annotations()
    assert [x.id for x in everything] == [b, a, c]  # by week
    first = everything[1]
    assert (first.week_start, first.metric, first.kind, first.text, first.author) == (
        w2,
        "accuracy",
        AnnotationKind.deploy,
        "model v2 deployed",
        "ana",
    )
    assert first.created_at == datetime(2024, 3, 6, 9, 0, 1, tzinfo=UTC)
    assert [x.id for x in store.annotations(start=w2)] == [a, c]
    assert [x.id for x in store.annotations(end=w2)] == [b, a]
    assert [x.id for x in store.annotations(start=w2, end=w2)] == [a]
    assert [x.id for x in store.annotations(metric="accuracy")] == [b, a]
    assert [x.id for x in store.annotations(metric="accuracy", include_general=False)] == [a]


def test_acknowledgements_round_trip(store: StateStore) -> None:
    k1 = alert_key("accuracy", WEEK, {"segment": "smb"})
    k2 = alert_key("latency_p95", WEEK)
    store.acknowledge_alert(k1, "ana", "retrain scheduled")
    store.acknowledge_alert(k2, "bo")
    store.acknowledge_alert(k1, "bo", "seen")
    assert [(a.alert_key, a.author, a.note) for a in store.acknowledgements()] == [
        (k1, "ana", "retrain scheduled"),
        (k2, "bo", ""),
        (k1, "bo", "seen"),
    ]
    assert [a.author for a in store.acknowledgements([k1])] == ["ana", "bo"]
    assert store.acknowledgements([]) == []
    assert store.acknowledgements(["nope"]) == []


def test_alert_key_is_canonical() -> None:
    assert alert_key("m", WEEK, {"b": 2, "a": "x"}) == alert_key("m", WEEK, {"a": "x", "b": 2})
    assert alert_key("m", WEEK) == "m|2024-03-04"


def test_signoffs_are_appended_and_the_latest_comes_last(store: StateStore) -> None:
    store.sign_off(WEEK, "ana", "looks fine")
    store.sign_off(WEEK + timedelta(days=7), "ana")
    store.sign_off(WEEK, "bo", "after the late data")
    week = store.signoffs(WEEK)
    assert [(s.author, s.comment) for s in week] == [
        ("ana", "looks fine"),
        ("bo", "after the late data"),
    ]
    assert week[-1].created_at > week[0].created_at
    assert len(store.signoffs()) == 3


def test_the_latest_verdict_per_event_wins(store: StateStore) -> None:
    store.record_verdict("e1", WEEK, "incorrect", "ana", "wrong queue")
    store.record_verdict("e2", WEEK, Verdict.correct, "ana")
    store.record_verdict("e3", WEEK + timedelta(days=7), "correct", "bo")
    store.record_verdict("e1", WEEK, "correct", "bo", "re-checked: fine")

    latest = store.verdicts(WEEK)
    assert [(v.event_id, v.verdict, v.author, v.comment) for v in latest] == [
        ("e1", Verdict.correct, "bo", "re-checked: fine"),
        ("e2", Verdict.correct, "ana", ""),
    ]
    assert [v.event_id for v in store.verdicts()] == ["e1", "e2", "e3"]
    assert count(store.path, "output_verdicts") == 4  # nothing overwritten


def test_assumption_changes_keep_exact_decimals(store: StateStore) -> None:
    store.record_assumption_change(
        "hourly_cost", date(2024, 1, 1), None, Decimal("55.00"), "usd/hour", "cfo", "initial"
    )
    store.record_assumption_change(
        "hourly_cost", date(2024, 7, 1), "55.00", "61.10", "usd/hour", "cfo", "raise"
    )
    store.record_assumption_change(
        "baseline_minutes", date(2024, 1, 1), None, 45, "minutes", "ops", "time study"
    )

    changes = store.assumption_changes("hourly_cost")
    assert [(c.effective_from, c.old_value, c.new_value) for c in changes] == [
        (date(2024, 1, 1), None, Decimal("55.00")),
        (date(2024, 7, 1), Decimal("55.00"), Decimal("61.10")),
    ]
    assert str(changes[1].new_value) == "61.10"  # trailing zero kept: stored as text
    assert (
        changes[1].unit == "usd/hour" and changes[1].why == "raise" and changes[1].author == "cfo"
    )
    assert len(store.assumption_changes()) == 3
    with raw(store.path) as conn:
        assert (
            conn.execute("select typeof(new_value) from assumption_changes").fetchone()[0] == "text"
        )


def test_log_round_trips_detail_and_audit_log_filters(store: StateStore) -> None:
    diff = "--- a/hours_saved.sql\n+++ b/hours_saved.sql\n-select 1\n+select 2\n"
    entry = store.log(
        "ana",
        "edit_sql",
        "metric",
        "hours_saved",
        {"diff": diff, "value": Decimal("1.50"), "week": WEEK},
    )
    store.sign_off(WEEK, "bo")
    store.log("ana", "edit_sql", "metric", "accuracy", {"diff": ""})

    newest_first = store.audit_log()
    assert [e.entity_key for e in newest_first] == ["accuracy", WEEK.isoformat(), "hours_saved"]
    assert [e.entity_key for e in store.audit_log(entity="metric")] == ["accuracy", "hours_saved"]
    assert len(store.audit_log(limit=2)) == 2
    assert store.audit_log(limit=0) == []
    (first,) = store.audit_log(entity="metric", entity_key="hours_saved")
    assert first.id == entry
    assert first.detail == {"diff": diff, "value": "1.50", "week": "2024-03-04"}
    assert (first.actor, first.action, first.at) == (
        "ana",
        "edit_sql",
        datetime(2024, 3, 6, 9, 0, 1, tzinfo=UTC),
    )


def test_timestamps_are_stored_as_utc_iso_text(path: Path) -> None:
    berlin = timezone(timedelta(hours=1))
    store = StateStore(path, now=lambda: datetime(2024, 3, 6, 10, 30, tzinfo=berlin))
    store.sign_off(WEEK, "ana")
    with raw(path) as conn:
        assert (
            conn.execute("select created_at from signoffs").fetchone()[0]
            == "2024-03-06T09:30:00.000000Z"
        )
        assert (
            conn.execute("select at from audit_log").fetchone()[0] == "2024-03-06T09:30:00.000000Z"
        )
    assert store.signoffs()[0].created_at == datetime(2024, 3, 6, 9, 30, tzinfo=UTC)


def test_a_naive_clock_is_rejected(path: Path) -> None:
    store = StateStore(path, now=lambda: datetime(2024, 3, 6, 9, 30))
    with pytest.raises(StateValidationError, match="naive"):
        store.sign_off(WEEK, "ana")
    assert count(path, "signoffs") == 0


# -- the audit log --------------------------------------------------------------------------

WRITES = {
    "annotation": lambda s: s.add_annotation(WEEK, "note", "other", "ana", metric="m"),
    "alert": lambda s: s.acknowledge_alert("m|2024-03-04", "ana", "ok"),
    # once per week and person: a second write signs the next week
    "weekly_review": lambda s: s.sign_off(WEEK + timedelta(weeks=len(s.signoffs())), "ana", "ok"),
    "output": lambda s: s.record_verdict("e1", WEEK, "correct", "ana"),
    "assumption": lambda s: s.record_assumption_change("k", WEEK, None, "1", "usd", "ana", "why"),
    "metric": lambda s: s.log("ana", "edit_sql", "metric", "m", {"diff": "+x"}),
}


@pytest.mark.parametrize("entity", list(WRITES))
def test_every_write_appends_one_audit_entry(store: StateStore, entity: str) -> None:
    WRITES[entity](store)
    WRITES[entity](store)
    entries = store.audit_log()
    assert len(entries) == 2
    assert {e.entity for e in entries} == {entity}
    assert {e.actor for e in entries} == {"ana"}
    assert all(e.detail is not None and e.at.tzinfo is UTC for e in entries)


def test_all_writes_together_give_one_entry_each(store: StateStore) -> None:
    for write in WRITES.values():
        write(store)
    assert count(store.path, "audit_log") == len(WRITES)


def test_the_row_and_its_audit_entry_commit_together(store: StateStore) -> None:
    with raw(store.path) as conn:
        conn.execute(
            "create trigger fail_audit before insert on audit_log "
            "begin select raise(abort, 'audit unavailable'); end"
        )
    with pytest.raises(sqlite3.DatabaseError, match="audit unavailable"):
        store.add_annotation(WEEK, "note", "other", "ana")
    assert count(store.path, "annotations") == 0


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_append_only_tables_refuse_update_and_delete(store: StateStore, table: str) -> None:
    for write in WRITES.values():
        write(store)
    conn = raw(store.path)
    try:
        column = conn.execute(
            f"select name from pragma_table_info('{table}') where pk = 0"
        ).fetchone()[0]
        before = conn.execute(f"select * from {table} order by 1").fetchall()
        assert before
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(f"update {table} set {column} = {column} || 'x'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(f"delete from {table}")
        assert conn.execute(f"select * from {table} order by 1").fetchall() == before
    finally:
        conn.close()


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.add_annotation(WEEK, "x", "other", "  "), "author must be a non-empty"),
        (lambda s: s.add_annotation(WEEK, "", "other", "ana"), "text must be a non-empty"),
        (
            lambda s: s.add_annotation(WEEK, "x", "outage", "ana"),
            "unknown kind 'outage'.*deploy, incident",
        ),
        (
            lambda s: s.add_annotation(datetime(2024, 3, 4), "x", "other", "ana"),
            "week_start must be a date",
        ),
        (
            lambda s: s.add_annotation("2024-03-04", "x", "other", "ana"),
            "week_start must be a date",
        ),
        (lambda s: s.add_annotation(WEEK, "x", "other", "ana", metric=""), "metric must be"),
        (lambda s: s.acknowledge_alert("", "ana"), "alert_key must be"),
        (lambda s: s.acknowledge_alert("k", None), "author must be"),
        (lambda s: s.sign_off(WEEK, ""), "author must be"),
        (
            lambda s: s.record_verdict("e1", WEEK, "maybe", "ana"),
            "unknown verdict 'maybe'.*correct, incorrect",
        ),
        (lambda s: s.record_verdict("", WEEK, "correct", "ana"), "event_id must be"),
        (
            lambda s: s.record_assumption_change("k", WEEK, None, 1.5, "usd", "ana", "why"),
            "never a float",
        ),
        (
            lambda s: s.record_assumption_change("k", WEEK, 0.1, "1", "usd", "ana", "why"),
            "never a float",
        ),
        (
            lambda s: s.record_assumption_change("k", WEEK, None, "abc", "usd", "ana", "why"),
            "not a decimal",
        ),
        (
            lambda s: s.record_assumption_change(
                "k", WEEK, None, Decimal("NaN"), "usd", "ana", "why"
            ),
            "finite",
        ),
        (
            lambda s: s.record_assumption_change("k", WEEK, None, "1", "usd", "ana", ""),
            "why must be",
        ),
        (
            lambda s: s.record_assumption_change("k", WEEK, None, "1", "", "ana", "why"),
            "unit must be",
        ),
        (lambda s: s.log("", "edit", "metric", "m", {}), "actor must be"),
        (
            lambda s: s.log("ana", "edit", "metric", "m", ["not", "a", "dict"]),
            "detail must be a dict",
        ),
        (lambda s: s.log("ana", "edit", "metric", "m", {"x": object()}), "not JSON-serialisable"),
        (lambda s: s.audit_log(limit=-1), "limit must be"),
    ],
)
def test_invalid_input_is_rejected_clearly_and_nothing_is_written(
    store: StateStore, call, message: str
) -> None:
    with pytest.raises(StateValidationError, match=message):
        call(store)
    assert count(store.path, "audit_log") == 0


# -- concurrency ----------------------------------------------------------------------------


def test_threads_sharing_one_store_lose_no_write(store: StateStore) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                store.add_annotation(WEEK, f"t{n}-{i}", "other", f"thread{n}")
                store.record_verdict(f"t{n}-{i}", WEEK, "correct", f"thread{n}")
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.annotations()) == 400
    assert len(store.verdicts()) == 400
    assert count(store.path, "audit_log") == 800


WORKER = """
import sys, time
from datetime import date
from pathlib import Path
from outcomes.store.state import StateStore

path, n, writes, folder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
(folder / f"ready-{n}").touch()
while not (folder / "go").exists():
    time.sleep(0.001)
store = StateStore(path)  # several processes migrate a fresh file at the same moment
week = date(2024, 3, 4)
for i in range(writes):
    store.add_annotation(week, f"p{n}-{i}", "other", f"proc{n}")
    # every process judges the same events: latest wins, nothing lost
    store.record_verdict(f"e{i}", week, "correct" if n % 2 else "incorrect", f"proc{n}")
print("done", n)
"""

READER = """
import sys, time
from pathlib import Path
from outcomes.store.state import StateStore

path, folder = sys.argv[1], Path(sys.argv[2])
(folder / "ready-reader").touch()
while not (folder / "go").exists():
    time.sleep(0.001)
store = StateStore(path)  # opening migrates too, racing the writers
seen, reads = -1, 0
while not (folder / "stop").exists():
    now = len(store.annotations())
    assert now >= seen, (now, seen)
    seen, reads = now, reads + 1
    store.verdicts(); store.audit_log(limit=5)
print("reads", reads)
"""


def _spawn(code: str, *args: object) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_processes_writing_at_the_same_moment_lose_no_write(tmp_path: Path) -> None:
    path, processes, writes = tmp_path / "state.sqlite", 4, 200
    writers = [_spawn(WORKER, path, n, writes, tmp_path) for n in range(processes)]
    reader = _spawn(READER, path, tmp_path)
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < processes + 1:
        assert time.monotonic() < deadline, "workers did not start"
        assert all(p.poll() is None for p in [*writers, reader]), [p.communicate() for p in writers]
        time.sleep(0.01)
    (tmp_path / "go").touch()

    results = [p.communicate(timeout=120) for p in writers]
    (tmp_path / "stop").touch()
    reader_out, reader_err = reader.communicate(timeout=60)

    for p, (out, err) in zip(writers, results, strict=True):
        assert p.returncode == 0, err
        assert out.startswith("done"), out
    assert reader.returncode == 0, reader_err
    assert int(reader_out.split()[1]) > 0

    store = StateStore(path)
    notes = store.annotations()
    assert len(notes) == processes * writes
    assert {a.text for a in notes} == {f"p{n}-{i}" for n in range(processes) for i in range(writes)}
    assert count(path, "output_verdicts") == processes * writes
    assert len(store.verdicts()) == writes  # one latest per event
    assert count(path, "audit_log") == 2 * processes * writes
    assert len(store.applied_migrations()) == LATEST_VERSION
    with raw(path) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            "select id, event_id, author from output_verdicts order by id"
        ).fetchall()
    last_by_event = {event: (row_id, author) for row_id, event, author in rows}
    assert {v.event_id: (v.id, v.author) for v in store.verdicts()} == last_by_event


OPENER = """
import sys, time
from datetime import date
from pathlib import Path
from outcomes.store.state import StateStore

folder, n = Path(sys.argv[1]), sys.argv[2]
(folder / f"ready-{n}").touch()
while not (folder / "go").exists():
    time.sleep(0.0005)
for round in range(10):
    StateStore(folder / f"round{round}.sqlite").sign_off(date(2024, 3, 4), f"p{n}")
"""


def test_processes_opening_a_new_file_at_once_migrate_it_once(tmp_path: Path) -> None:
    processes = 8
    openers = [_spawn(OPENER, tmp_path, n) for n in range(processes)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < processes:
        assert time.monotonic() < deadline, "processes did not start"
        time.sleep(0.01)
    (tmp_path / "go").touch()
    for p in openers:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    for round_ in range(10):
        path = tmp_path / f"round{round_}.sqlite"
        assert count(path, "schema_migrations") == LATEST_VERSION
        assert count(path, "signoffs") == processes
        assert count(path, "audit_log") == processes


def test_record_check_stores_run_alerts_and_audit(tmp_path):
    import datetime as dt

    import pandas as pd

    store = StateStore(tmp_path / "state.sqlite")
    alerts = [
        {
            "metric": "accuracy",
            "week_start": pd.Timestamp("2026-07-27"),
            "dimensions": "{}",
            "level": "alert",
            "value": 0.71,
            "threshold": 0.8,
            "mode": "absolute",
            "owner": "ml@x",
        },
        {
            "metric": "drift_psi",
            "week_start": dt.date(2026, 7, 27),
            "dimensions": '{"feature":"channel"}',
            "level": "warn",
            "value": 0.12,
            "threshold": 0.1,
            "mode": "absolute",
            "owner": None,
        },
    ]
    run_id = store.record_check(dt.date(2026, 7, 27), "B1", alerts, ["orphan_metric"], actor="cli")
    runs = store.check_runs(dt.date(2026, 7, 27))
    assert [(r["id"], r["alerts"], r["warnings"], r["build_id"]) for r in runs] == [
        (run_id, 1, 1, "B1")
    ]
    assert json.loads(runs[0]["unowned"]) == ["orphan_metric"]
    assert store.audit_log(entity="weekly_check")[0].detail["alerts"] == 1
    with sqlite3.connect(tmp_path / "state.sqlite") as conn:
        keys = [r[0] for r in conn.execute("select alert_key from alerts order by id")]
    assert keys == ["accuracy|2026-07-27", "drift_psi|2026-07-27|feature=channel"]
