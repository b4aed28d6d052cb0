"""The state store: what people write in the app, in one SQLite file.

Annotations, alert acknowledgements, weekly sign-offs, output-review verdicts, assumption
changes and an append-only audit log. The app (one thread per session) and the CLI may write
at the same moment, so the file is in WAL mode, every operation opens its own short-lived
connection with a busy timeout, and every write is one short ``BEGIN IMMEDIATE`` transaction.

Rows are never updated or deleted: triggers abort any ``UPDATE`` or ``DELETE``. A new verdict,
sign-off or acknowledgement is appended and the latest one wins. Every write also appends an
``audit_log`` row in the same transaction. Values are decimal TEXT (``Decimal`` in Python, never
float); timestamps are ISO 8601 UTC text (``2024-03-04T09:30:00.000000Z``).

The schema is versioned: ``MIGRATIONS`` is an ordered list applied one transaction each,
tracked in ``PRAGMA user_version`` and the ``schema_migrations`` table. Opening an older file
migrates it forward; a file from a newer version of Outcomes is refused.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from outcomes.errors import OutcomesError

BUSY_TIMEOUT_SECONDS = 10.0
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class StateError(OutcomesError):
    """Base class of state store errors."""


class StateSchemaError(StateError):
    """The file's schema cannot be used by this code (newer version, or not a state store)."""


class StateValidationError(StateError, ValueError):
    """An argument to a write was invalid (empty author, unknown kind, float money...)."""


class AnnotationKind(StrEnum):
    deploy = "deploy"
    incident = "incident"
    business_event = "business_event"
    other = "other"


class Verdict(StrEnum):
    correct = "correct"
    incorrect = "incorrect"


class Migration(NamedTuple):
    version: int
    description: str
    sql: str


def _append_only(table: str) -> str:
    return f"""
create trigger {table}_no_update before update on {table}
begin select raise(abort, '{table} is append-only: rows cannot be updated'); end;
create trigger {table}_no_delete before delete on {table}
begin select raise(abort, '{table} is append-only: rows cannot be deleted'); end;
"""


# Append new migrations at the end; never edit one that has shipped.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "audit log and migration ledger (append-only)",
        """
create table audit_log (
    id integer primary key autoincrement,
    at text not null,
    actor text not null check (length(trim(actor)) > 0),
    action text not null,
    entity text not null,
    entity_key text not null,
    detail text not null check (json_valid(detail))
);
create index audit_log_entity on audit_log (entity, entity_key);
"""
        + _append_only("audit_log")
        + _append_only("schema_migrations"),
    ),
    Migration(
        2,
        "annotations, alert acknowledgements, weekly sign-offs",
        """
create table annotations (
    id integer primary key autoincrement,
    week_start text not null,
    metric text,
    kind text not null check (kind in ('deploy', 'incident', 'business_event', 'other')),
    text text not null,
    author text not null check (length(trim(author)) > 0),
    created_at text not null
);
create index annotations_week on annotations (week_start, metric);
create table alert_acknowledgements (
    id integer primary key autoincrement,
    alert_key text not null,
    author text not null check (length(trim(author)) > 0),
    note text not null,
    created_at text not null
);
create index alert_acknowledgements_key on alert_acknowledgements (alert_key);
create table signoffs (
    id integer primary key autoincrement,
    week_start text not null,
    author text not null check (length(trim(author)) > 0),
    comment text not null,
    created_at text not null
);
create index signoffs_week on signoffs (week_start);
"""
        + _append_only("annotations")
        + _append_only("alert_acknowledgements")
        + _append_only("signoffs"),
    ),
    Migration(
        3,
        "output-review verdicts and assumption changes",
        """
create table output_verdicts (
    id integer primary key autoincrement,
    event_id text not null,
    week_start text not null,
    verdict text not null check (verdict in ('correct', 'incorrect')),
    comment text not null,
    author text not null check (length(trim(author)) > 0),
    created_at text not null
);
create index output_verdicts_event on output_verdicts (event_id);
create index output_verdicts_week on output_verdicts (week_start);
create table assumption_changes (
    id integer primary key autoincrement,
    key text not null,
    effective_from text not null,
    old_value text,
    new_value text not null,
    unit text not null,
    author text not null check (length(trim(author)) > 0),
    why text not null,
    created_at text not null
);
create index assumption_changes_key on assumption_changes (key, effective_from);
"""
        + _append_only("output_verdicts")
        + _append_only("assumption_changes"),
    ),
    Migration(
        4,
        "threshold check runs and the alerts each one raised",
        """
create table check_runs (
    id integer primary key autoincrement,
    week_start text,
    build_id text,
    actor text not null check (length(trim(actor)) > 0),
    alerts integer not null,
    warnings integer not null,
    unowned text not null check (json_valid(unowned)),
    created_at text not null
);
create table alerts (
    id integer primary key autoincrement,
    check_run_id integer not null references check_runs (id),
    alert_key text not null,
    metric text not null,
    week_start text not null,
    dimensions text not null,
    level text not null check (level in ('warn', 'alert')),
    value real,
    threshold real,
    mode text not null,
    owner text,
    created_at text not null
);
create index alerts_week on alerts (week_start, metric);
"""
        + _append_only("check_runs")
        + _append_only("alerts"),
    ),
    Migration(
        5,
        "closed ROI periods and the ledger rows each close froze (outcomes.roi.close)",
        """
create table period_closes (
    id integer primary key autoincrement,
    period text not null,
    period_start text not null,
    period_end text not null,
    build_id text not null,
    closed_by text not null check (length(trim(closed_by)) > 0),
    closed_at text not null,
    manifest text not null check (json_valid(manifest)),
    ledger_sha256 text not null,
    row_count integer not null,
    totals text not null check (json_valid(totals))
);
create index period_closes_period on period_closes (period);
create table closed_ledger_rows (
    id integer primary key autoincrement,
    close_id integer not null references period_closes (id),
    week_start text not null,
    line_id text not null,
    category text not null,
    title text not null,
    formula text not null,
    formula_filled text not null,
    inputs text not null check (json_valid(inputs)),
    amount text not null,
    currency text not null,
    unique (close_id, week_start, line_id)
);
-- One close per period. A trigger, not a unique constraint, so that a later 'reopen'
-- migration can replace it without rebuilding the append-only table.
create trigger period_closes_once before insert on period_closes
when exists (select 1 from period_closes where period = new.period)
begin select raise(abort, 'period is already closed'); end;
"""
        + _append_only("period_closes")
        + _append_only("closed_ledger_rows"),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


@dataclass(frozen=True, slots=True)
class Annotation:
    id: int
    week_start: date
    metric: str | None
    kind: AnnotationKind
    text: str
    author: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    id: int
    alert_key: str
    author: str
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SignOff:
    id: int
    week_start: date
    author: str
    comment: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutputVerdict:
    id: int
    event_id: str
    week_start: date
    verdict: Verdict
    comment: str
    author: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AssumptionChange:
    id: int
    key: str
    effective_from: date
    old_value: Decimal | None
    new_value: Decimal
    unit: str
    author: str
    why: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_key: str
    detail: dict[str, Any]


def alert_key(metric: str, week_start: date, dimensions: Mapping[str, object] | None = None) -> str:
    """The canonical key of one alert: metric, week and dimension values, sorted by name.

    >>> alert_key("accuracy", date(2024, 3, 4), {"segment": "smb", "model": "v2"})
    'accuracy|2024-03-04|model=v2|segment=smb'
    """
    parts = [_required(metric, "metric"), _week(week_start, "week_start").isoformat()]
    parts += [f"{k}={v}" for k, v in sorted((dimensions or {}).items())]
    return "|".join(parts)


def apply_migrations(path: str | Path, up_to: int | None = None) -> int:
    """Bring the file at ``path`` to schema version ``up_to`` (default: latest); return it.

    Safe to call from several processes at once: each migration runs in its own
    ``BEGIN IMMEDIATE`` transaction and re-checks the version inside it.
    """
    target = LATEST_VERSION if up_to is None else up_to
    if not 0 <= target <= LATEST_VERSION:
        raise ValueError(f"up_to must be between 0 and {LATEST_VERSION}, got {target}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _connection(path, check_version=False) as conn:
        _enable_wal(conn, path)
        for migration in MIGRATIONS:
            if migration.version > target:
                break
            _apply(conn, path, migration)
        return _user_version(conn)


class StateStore:
    """Annotations, acknowledgements, sign-offs, verdicts, assumption changes and audit log.

    Opening migrates the file forward. Every method opens its own connection, so one
    instance may be shared by threads and several processes may write the same file.

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> store = StateStore(Path(tmp.name) / "state.sqlite",
    ...                    now=lambda: datetime(2024, 3, 6, 9, 30, tzinfo=UTC))
    >>> store.add_annotation(date(2024, 3, 4), "model v2 deployed", "deploy", "ana@example.com")
    1
    >>> [(a.kind.value, a.text) for a in store.annotations(metric="accuracy")]
    [('deploy', 'model v2 deployed')]
    >>> store.record_assumption_change("analyst_hourly_cost", date(2024, 1, 1), Decimal("55"),
    ...                                Decimal("61.50"), "usd/hour", "cfo@example.com", "2024 rates")
    1
    >>> store.assumption_changes()[0].new_value
    Decimal('61.50')
    >>> [(e.action, e.entity, e.entity_key) for e in store.audit_log()]
    [('change', 'assumption', 'analyst_hourly_cost@2024-01-01'), ('add', 'annotation', '1')]
    >>> tmp.cleanup()
    """

    def __init__(
        self,
        path: str | Path,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if str(path) == ":memory:":
            raise StateValidationError(
                "the state store needs a file (each operation opens its own connection); "
                "use a temporary file instead of ':memory:'"
            )
        self.path = Path(path)
        self._now = now or (lambda: datetime.now(UTC))
        apply_migrations(self.path)

    def __repr__(self) -> str:
        return f"StateStore({str(self.path)!r})"

    # -- schema ---------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The file's schema version (``PRAGMA user_version``)."""
        with self._read() as conn:
            return _user_version(conn)

    def applied_migrations(self) -> list[tuple[int, str, str]]:
        """``(version, applied_at, description)`` of every migration applied to the file."""
        with self._read() as conn:
            rows = conn.execute(
                "select version, applied_at, description from schema_migrations order by version"
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    # -- annotations ----------------------------------------------------------------------

    def add_annotation(
        self,
        week_start: date,
        text: str,
        kind: AnnotationKind | str,
        author: str,
        metric: str | None = None,
    ) -> int:
        """Note something about a week (optionally one metric); return the annotation id."""
        week = _week(week_start, "week_start").isoformat()
        text = _required(text, "text")
        kind = _enum(AnnotationKind, kind, "kind")
        author = _required(author, "author")
        metric = None if metric is None else _required(metric, "metric")
        with self._write() as (conn, at):
            cur = conn.execute(
                "insert into annotations (week_start, metric, kind, text, author, created_at) "
                "values (?, ?, ?, ?, ?, ?)",
                (week, metric, kind.value, text, author, at),
            )
            new_id = _rowid(cur)
            detail = {"week_start": week, "metric": metric, "kind": kind.value, "text": text}
            _audit(conn, at, author, "add", "annotation", str(new_id), detail)
        return new_id

    def annotations(
        self,
        start: date | None = None,
        end: date | None = None,
        metric: str | None = None,
        *,
        include_general: bool = True,
    ) -> list[Annotation]:
        """Annotations with ``start <= week_start <= end``, oldest week first.

        With ``metric``, those on that metric plus (``include_general``) those on no metric.
        """
        where, args = _week_range("week_start", start, end)
        if metric is not None:
            where.append("(metric = ? or metric is null)" if include_general else "metric = ?")
            args.append(metric)
        rows = self._select("annotations", where, args, "week_start, id")
        return [
            Annotation(
                r["id"],
                _date(r["week_start"]),
                r["metric"],
                AnnotationKind(r["kind"]),
                r["text"],
                r["author"],
                _ts(r["created_at"]),
            )
            for r in rows
        ]

    # -- alert acknowledgements -----------------------------------------------------------

    def acknowledge_alert(self, alert_key: str, author: str, note: str = "") -> int:
        """Record that ``author`` has seen the alert (see ``alert_key()``); return the id."""
        key = _required(alert_key, "alert_key")
        author = _required(author, "author")
        note = _text(note, "note")
        with self._write() as (conn, at):
            cur = conn.execute(
                "insert into alert_acknowledgements (alert_key, author, note, created_at) "
                "values (?, ?, ?, ?)",
                (key, author, note, at),
            )
            new_id = _rowid(cur)
            _audit(conn, at, author, "acknowledge", "alert", key, {"note": note})
        return new_id

    def acknowledgements(self, alert_keys: Iterable[str] | None = None) -> list[Acknowledgement]:
        """Every acknowledgement (of the given alert keys), oldest first."""
        where: list[str] = []
        args: list[object] = []
        if alert_keys is not None:
            keys = list(alert_keys)
            if not keys:
                return []
            where.append(f"alert_key in ({', '.join('?' * len(keys))})")
            args.extend(keys)
        rows = self._select("alert_acknowledgements", where, args, "id")
        return [
            Acknowledgement(r["id"], r["alert_key"], r["author"], r["note"], _ts(r["created_at"]))
            for r in rows
        ]

    # -- weekly review sign-offs ----------------------------------------------------------

    def sign_off(self, week_start: date, author: str, comment: str = "") -> int:
        """Sign off the weekly review of ``week_start``; appended, the latest is shown."""
        week = _week(week_start, "week_start").isoformat()
        author = _required(author, "author")
        comment = _text(comment, "comment")
        with self._write() as (conn, at):
            cur = conn.execute(
                "insert into signoffs (week_start, author, comment, created_at) values (?, ?, ?, ?)",
                (week, author, comment, at),
            )
            new_id = _rowid(cur)
            _audit(conn, at, author, "sign_off", "weekly_review", week, {"comment": comment})
        return new_id

    def signoffs(self, week_start: date | None = None) -> list[SignOff]:
        """Every sign-off (of one week), oldest first; the last one is the one to show."""
        where, args = _week_range("week_start", week_start, week_start)
        rows = self._select("signoffs", where, args, "id")
        return [
            SignOff(
                r["id"], _date(r["week_start"]), r["author"], r["comment"], _ts(r["created_at"])
            )
            for r in rows
        ]

    # -- output-review verdicts -----------------------------------------------------------

    def record_verdict(
        self,
        event_id: str,
        week_start: date,
        verdict: Verdict | str,
        author: str,
        comment: str = "",
    ) -> int:
        """Judge one AI output by hand; a later verdict on the same event replaces it in reads."""
        event_id = _required(event_id, "event_id")
        week = _week(week_start, "week_start").isoformat()
        verdict = _enum(Verdict, verdict, "verdict")
        author = _required(author, "author")
        comment = _text(comment, "comment")
        with self._write() as (conn, at):
            cur = conn.execute(
                "insert into output_verdicts "
                "(event_id, week_start, verdict, comment, author, created_at) "
                "values (?, ?, ?, ?, ?, ?)",
                (event_id, week, verdict.value, comment, author, at),
            )
            new_id = _rowid(cur)
            detail = {"week_start": week, "verdict": verdict.value, "comment": comment}
            _audit(conn, at, author, "verdict", "output", event_id, detail)
        return new_id

    def verdicts(self, week_start: date | None = None) -> list[OutputVerdict]:
        """The latest verdict per event (of one week), by event id; re-verdicts replace earlier ones."""
        where, args = _week_range("v.week_start", week_start, week_start)
        where.insert(0, "v.id = (select max(id) from output_verdicts where event_id = v.event_id)")
        rows = self._select("output_verdicts v", where, args, "v.event_id")
        return [
            OutputVerdict(
                r["id"],
                r["event_id"],
                _date(r["week_start"]),
                Verdict(r["verdict"]),
                r["comment"],
                r["author"],
                _ts(r["created_at"]),
            )
            for r in rows
        ]

    # -- assumption changes ---------------------------------------------------------------

    def record_assumption_change(
        self,
        key: str,
        effective_from: date,
        old_value: Decimal | int | str | None,
        new_value: Decimal | int | str,
        unit: str,
        author: str,
        why: str,
    ) -> int:
        """Record a change of an assumption's value from ``effective_from``; nothing is overwritten."""
        key = _required(key, "key")
        effective = _week(effective_from, "effective_from").isoformat()
        old = None if old_value is None else _decimal(old_value, "old_value")
        new = _decimal(new_value, "new_value")
        unit = _required(unit, "unit")
        author = _required(author, "author")
        why = _required(why, "why")
        old_text = None if old is None else str(old)
        with self._write() as (conn, at):
            cur = conn.execute(
                "insert into assumption_changes "
                "(key, effective_from, old_value, new_value, unit, author, why, created_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?)",
                (key, effective, old_text, str(new), unit, author, why, at),
            )
            new_id = _rowid(cur)
            detail = {
                "effective_from": effective,
                "old_value": old_text,
                "new_value": str(new),
                "unit": unit,
                "why": why,
            }
            _audit(conn, at, author, "change", "assumption", f"{key}@{effective}", detail)
        return new_id

    def assumption_changes(self, key: str | None = None) -> list[AssumptionChange]:
        """Every assumption change (of one key), in the order they were recorded."""
        where, args = (["key = ?"], [key]) if key is not None else ([], [])
        rows = self._select("assumption_changes", where, args, "id")
        return [
            AssumptionChange(
                r["id"],
                r["key"],
                _date(r["effective_from"]),
                None if r["old_value"] is None else Decimal(r["old_value"]),
                Decimal(r["new_value"]),
                r["unit"],
                r["author"],
                r["why"],
                _ts(r["created_at"]),
            )
            for r in rows
        ]

    # -- threshold checks -----------------------------------------------------------------

    def record_check(
        self,
        week_start: date | None,
        build_id: str | None,
        alerts: list[Mapping[str, Any]],
        unowned: list[str],
        actor: str = "cli",
    ) -> int:
        """Record one ``outcomes check`` run and every warn / alert it raised; return its id."""
        actor = _required(actor, "actor")
        week = None if week_start is None else _week(week_start, "week_start").isoformat()
        levels = [str(a["level"]) for a in alerts]
        with self._write() as (conn, at):
            cur = conn.execute(
                "insert into check_runs (week_start, build_id, actor, alerts, warnings, unowned, created_at) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                (
                    week,
                    build_id,
                    actor,
                    levels.count("alert"),
                    levels.count("warn"),
                    json.dumps(unowned),
                    at,
                ),
            )
            run_id = _rowid(cur)
            for a in alerts:
                dims = (
                    json.loads(a["dimensions"])
                    if isinstance(a["dimensions"], str)
                    else dict(a["dimensions"])
                )
                raw_week = a["week_start"]
                alert_week = _week(
                    raw_week.date() if isinstance(raw_week, datetime) else raw_week, "week_start"
                )
                conn.execute(
                    "insert into alerts (check_run_id, alert_key, metric, week_start, dimensions, level, "
                    "value, threshold, mode, owner, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run_id,
                        alert_key(a["metric"], alert_week, dims),
                        a["metric"],
                        alert_week.isoformat(),
                        json.dumps(dims, sort_keys=True),
                        a["level"],
                        _float_or_none(a.get("value")),
                        _float_or_none(a.get("threshold")),
                        a["mode"],
                        a.get("owner"),
                        at,
                    ),
                )
            detail = {
                "build_id": build_id,
                "alerts": levels.count("alert"),
                "warnings": levels.count("warn"),
                "unowned": unowned,
            }
            _audit(conn, at, actor, "check", "weekly_check", week or "", detail)
        return run_id

    def check_runs(self, week_start: date | None = None) -> list[dict[str, Any]]:
        """Recorded check runs (of one week), oldest first."""
        where, args = (
            (["week_start = ?"], [_week(week_start, "week_start").isoformat()])
            if week_start
            else ([], [])
        )
        return [dict(r) for r in self._select("check_runs", where, args, "id")]

    # -- audit log ------------------------------------------------------------------------

    def log(
        self, actor: str, action: str, entity: str, entity_key: str, detail: Mapping[str, Any]
    ) -> int:
        """Append one audit entry (e.g. a metric SQL edit with its diff); return its id."""
        actor = _required(actor, "actor")
        action = _required(action, "action")
        entity = _required(entity, "entity")
        entity_key = _required(entity_key, "entity_key")
        with self._write() as (conn, at):
            return _audit(conn, at, actor, action, entity, entity_key, detail)

    def audit_log(
        self, entity: str | None = None, limit: int | None = None, entity_key: str | None = None
    ) -> list[AuditEntry]:
        """Audit entries (of one entity, one key), newest first, at most ``limit``."""
        where: list[str] = []
        args: list[object] = []
        if entity is not None:
            where.append("entity = ?")
            args.append(entity)
        if entity_key is not None:
            where.append("entity_key = ?")
            args.append(entity_key)
        order = "id desc"
        if limit is not None:
            if limit < 0:
                raise StateValidationError(f"limit must be >= 0, got {limit}")
            order += f" limit {int(limit)}"
        rows = self._select("audit_log", where, args, order)
        return [
            AuditEntry(
                r["id"],
                _ts(r["at"]),
                r["actor"],
                r["action"],
                r["entity"],
                r["entity_key"],
                json.loads(r["detail"]),
            )
            for r in rows
        ]

    # -- plumbing -------------------------------------------------------------------------

    def _stamp(self) -> str:
        now = self._now()
        if now.tzinfo is None:
            raise StateValidationError("now() returned a naive datetime; give it a time zone")
        return now.astimezone(UTC).strftime(_TS_FORMAT)

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with _connection(self.path) as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[tuple[sqlite3.Connection, str]]:
        with _connection(self.path) as conn, _immediate(conn):
            # Stamped once the write lock is held, so `at` order follows id order.
            yield conn, self._stamp()

    def _select(
        self, table: str, where: Sequence[str], args: Sequence[object], order: str
    ) -> list[Any]:
        sql = f"select * from {table}"
        if where:
            sql += " where " + " and ".join(where)
        with self._read() as conn:
            return conn.execute(f"{sql} order by {order}", args).fetchall()


# -- module helpers -------------------------------------------------------------------------


@contextmanager
def _connection(path: Path, *, check_version: bool = True) -> Iterator[sqlite3.Connection]:
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    except sqlite3.Error as exc:
        raise StateError(f"{path}: cannot open the state store: {exc}") from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        # In WAL mode NORMAL never corrupts the file and survives an app crash; a power cut may
        # drop the last commits (row and audit entry together). FULL costs an fsync per note.
        conn.execute("pragma synchronous = normal")
        if check_version:
            _check_not_newer(conn, path)
        yield conn
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise StateSchemaError(
                f"{path}: not a SQLite file; point state_path at a state store or a new file"
            ) from exc
        raise
    finally:
        conn.close()


@contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock up front, so a writer waits (busy_timeout) at BEGIN
    # instead of failing with SQLITE_BUSY when it upgrades from a read lock.
    conn.execute("begin immediate")
    try:
        yield
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("commit")


def _enable_wal(conn: sqlite3.Connection, path: Path) -> None:
    # WAL is a property of the file: set once, every later connection gets it. Switching needs
    # an exclusive lock and SQLite does not call the busy handler for it, so when several
    # processes open a new file at once we retry here until the busy timeout.
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            mode = conn.execute("pragma journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                mode = conn.execute("pragma journal_mode = wal").fetchone()[0]
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    if str(mode).lower() != "wal":
        raise StateError(f"{path}: could not switch to WAL mode (journal_mode is {mode!r})")


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("pragma user_version").fetchone()[0])


def _check_not_newer(conn: sqlite3.Connection, path: Path) -> None:
    version = _user_version(conn)
    if version > LATEST_VERSION:
        raise StateSchemaError(
            f"{path}: state store schema version {version} is newer than this Outcomes knows "
            f"(up to {LATEST_VERSION}); upgrade Outcomes, or point state_path at another file"
        )


def _apply(conn: sqlite3.Connection, path: Path, migration: Migration) -> None:
    with _immediate(conn):
        _check_not_newer(conn, path)
        version = _user_version(conn)
        if version >= migration.version:
            return  # already applied (perhaps by another process a moment ago)
        if version != migration.version - 1:
            raise StateSchemaError(
                f"{path}: cannot apply migration {migration.version} to schema version {version}"
            )
        if version == 0:
            foreign = conn.execute(
                "select name from sqlite_master where type = 'table' "
                "and name not like 'sqlite_%' and name != 'schema_migrations'"
            ).fetchall()
            if foreign:
                names = ", ".join(sorted(r[0] for r in foreign))
                raise StateSchemaError(
                    f"{path}: has tables ({names}) but no state store schema version; "
                    "point state_path at a state store or a new file"
                )
            conn.execute(
                "create table if not exists schema_migrations ("
                "version integer primary key, applied_at text not null, description text not null)"
            )
        for statement in _statements(migration.sql):
            conn.execute(statement)
        conn.execute(
            "insert into schema_migrations (version, applied_at, description) values (?, ?, ?)",
            (migration.version, datetime.now(UTC).strftime(_TS_FORMAT), migration.description),
        )
        conn.execute(f"pragma user_version = {int(migration.version)}")


def _statements(sql: str) -> Iterator[str]:
    """Split a script into statements; trigger bodies keep their inner semicolons."""
    buffer = ""
    for piece in sql.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip() != ";":
                yield buffer.strip()
            buffer = ""
    if buffer.strip(" \n;"):
        raise ValueError(f"incomplete SQL statement in migration: {buffer.strip()!r}")


def _audit(
    conn: sqlite3.Connection,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_key: str,
    detail: Mapping[str, Any],
) -> int:
    if not isinstance(detail, Mapping):
        raise StateValidationError(f"detail must be a dict, got {type(detail).__name__}")
    try:
        detail_json = json.dumps(dict(detail), sort_keys=True, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise StateValidationError(f"detail is not JSON-serialisable: {exc}") from exc
    cur = conn.execute(
        "insert into audit_log (at, actor, action, entity, entity_key, detail) "
        "values (?, ?, ?, ?, ?, ?)",
        (at, actor, action, entity, entity_key, detail_json),
    )
    return _rowid(cur)


def _float_or_none(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if number != number else number


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in detail")


def _rowid(cur: sqlite3.Cursor) -> int:
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


def _required(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StateValidationError(f"{name} must be a non-empty string, got {value!r}")
    return value.strip()


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise StateValidationError(f"{name} must be a string, got {type(value).__name__}")
    return value.strip()


def _week(value: object, name: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise StateValidationError(f"{name} must be a date (not a datetime), got {value!r}")
    return value


_E = TypeVar("_E", bound=StrEnum)


def _enum(enum: type[_E], value: object, name: str) -> _E:
    allowed = ", ".join(m.value for m in enum)
    if not isinstance(value, str):
        raise StateValidationError(f"{name} must be one of: {allowed}; got {value!r}")
    try:
        return enum(value)
    except ValueError:
        raise StateValidationError(
            f"unknown {name} {value!r}; expected one of: {allowed}"
        ) from None


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, float | bool):
        raise StateValidationError(
            f"{name} must be a Decimal, int or decimal string, never a {type(value).__name__}"
        )
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise StateValidationError(f"{name} is not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise StateValidationError(f"{name} must be finite, got {value!r}")
    return number


def _week_range(
    column: str, start: date | None, end: date | None
) -> tuple[list[str], list[object]]:
    where: list[str] = []
    args: list[object] = []
    if start is not None:
        where.append(f"{column} >= ?")
        args.append(_week(start, "start").isoformat())
    if end is not None:
        where.append(f"{column} <= ?")
        args.append(_week(end, "end").isoformat())
    return where, args


def _date(text: str) -> date:
    return date.fromisoformat(text)


def _ts(text: str) -> datetime:
    return datetime.strptime(text, _TS_FORMAT).replace(tzinfo=UTC)
