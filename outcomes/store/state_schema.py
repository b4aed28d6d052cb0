"""The state store's schema: its migrations, and bringing a file up to the latest one.

``MIGRATIONS`` is an ordered list applied one transaction each, tracked in
``PRAGMA user_version`` and the ``schema_migrations`` table. Opening an older file migrates it
forward; a file from a newer version of Outcomes is refused. Every table is append-only:
triggers abort any ``UPDATE`` or ``DELETE``.

>>> import tempfile
>>> apply_migrations(Path(tempfile.mkdtemp()) / "state.sqlite") == LATEST_VERSION
True
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from outcomes.store.audit_chain import GENESIS, entry_hash
from outcomes.store.state_file import (
    TIMESTAMP_FORMAT,
    StateSchemaError,
    connect_state,
    enable_wal,
    immediate,
)


class Migration(NamedTuple):
    """One step of the schema: applied once, in order, in its own transaction."""

    version: int
    description: str
    sql: str
    # Python run after ``sql`` in the same transaction, for what SQL alone cannot compute
    then: Callable[[sqlite3.Connection], None] | None = None


def _append_only(table: str) -> str:
    """Triggers that abort any UPDATE or DELETE of ``table``."""
    return f"""
create trigger {table}_no_update before update on {table}
begin select raise(abort, '{table} is append-only: rows cannot be updated'); end;
create trigger {table}_no_delete before delete on {table}
begin select raise(abort, '{table} is append-only: rows cannot be deleted'); end;
"""


def _chain_existing_entries(conn: sqlite3.Connection) -> None:
    """Hash-chain the entries written before migration 7, oldest first. The append-only
    trigger is lifted for this one backfill, inside the migration's transaction."""
    conn.execute("drop trigger audit_log_no_update")
    prev = GENESIS
    rows = conn.execute(
        "select id, at, actor, action, entity, entity_key, detail from audit_log order by id"
    ).fetchall()
    for row_id, *content in rows:
        digest = entry_hash(prev, *content)
        conn.execute(
            "update audit_log set prev_hash = ?, entry_hash = ? where id = ?",
            (prev, digest, row_id),
        )
        prev = digest
    conn.execute(next(s for s in _statements(_append_only("audit_log")) if "no_update" in s))


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
    Migration(
        6,
        "acknowledgements snooze or accept a new drift reference; one sign-off per week and "
        "owner with its open items and reason; the digest's delivery log",
        """
alter table alert_acknowledgements add column action text not null default 'acknowledge'
    check (action in ('acknowledge', 'snooze', 'accept_reference'));
alter table alert_acknowledgements add column snooze_weeks integer;
alter table alert_acknowledgements add column reference_start text;
alter table alert_acknowledgements add column reference_end text;
alter table signoffs add column open_items text not null default '[]'
    check (json_valid(open_items));
alter table signoffs add column reason text not null default '';
create trigger signoffs_once_per_owner before insert on signoffs
when exists (select 1 from signoffs where week_start = new.week_start and author = new.author)
begin select raise(abort, 'this week is already signed off by this person'); end;
create trigger signoffs_open_items_need_reason before insert on signoffs
when new.open_items <> '[]' and length(trim(new.reason)) = 0
begin select raise(abort, 'signing off over open items needs a reason'); end;
create table digest_deliveries (
    id integer primary key autoincrement,
    week_start text not null,
    channel text not null check (channel in ('email', 'webhook')),
    recipient text not null,
    items integer not null,
    sent_at text not null,
    unique (week_start, channel, recipient)
);
"""
        + _append_only("digest_deliveries"),
    ),
    Migration(
        7,
        "hash-chained audit log: prev_hash and entry_hash on every entry",
        """
alter table audit_log add column prev_hash text;
alter table audit_log add column entry_hash text;
create trigger audit_log_chained before insert on audit_log
when new.prev_hash is null or new.entry_hash is null
begin select raise(abort, 'audit_log entries must carry prev_hash and entry_hash'); end;
""",
        then=_chain_existing_entries,
    ),
    Migration(
        8,
        "sign-off per AI system: signoffs.system (null = the company, as every older row)",
        """
alter table signoffs add column system text check (system is null or length(trim(system)) > 0);
drop trigger signoffs_once_per_owner;
create trigger signoffs_once_per_owner before insert on signoffs
when exists (
    select 1 from signoffs
    where week_start = new.week_start and author = new.author and system is new.system
)
begin select raise(abort, 'this week is already signed off by this person'); end;
create index signoffs_system_week on signoffs (system, week_start);
""",
    ),
    Migration(
        9,
        "a closed ROI period's rows per AI system: closed_ledger_rows.system ('' = frozen "
        "before systems), unique per close, week, system and line",
        """
create table closed_ledger_rows_by_system (
    id integer primary key autoincrement,
    close_id integer not null references period_closes (id),
    week_start text not null,
    system text not null default '',
    line_id text not null,
    category text not null,
    title text not null,
    formula text not null,
    formula_filled text not null,
    inputs text not null check (json_valid(inputs)),
    amount text not null,
    currency text not null,
    unique (close_id, week_start, system, line_id)
);
insert into closed_ledger_rows_by_system (id, close_id, week_start, system, line_id, category,
    title, formula, formula_filled, inputs, amount, currency)
select id, close_id, week_start, '', line_id, category, title, formula, formula_filled, inputs,
    amount, currency
from closed_ledger_rows;
drop table closed_ledger_rows;
alter table closed_ledger_rows_by_system rename to closed_ledger_rows;
"""
        + _append_only("closed_ledger_rows"),
    ),
    Migration(
        10,
        "an assumption change for one AI system: assumption_changes.system (null = the "
        "company-wide value, as every older row)",
        """
alter table assumption_changes add column system text
    check (system is null or length(trim(system)) > 0);
""",
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


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
    with connect_state(path) as conn:
        enable_wal(conn, path)
        for migration in MIGRATIONS:
            if migration.version > target:
                break
            _apply(conn, path, migration)
        return user_version(conn)


def user_version(conn: sqlite3.Connection) -> int:
    """The file's schema version (``PRAGMA user_version``)."""
    return int(conn.execute("pragma user_version").fetchone()[0])


def check_not_newer(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a file written by a newer version of Outcomes."""
    version = user_version(conn)
    if version > LATEST_VERSION:
        raise StateSchemaError(
            f"{path}: state store schema version {version} is newer than this Outcomes knows "
            f"(up to {LATEST_VERSION}); upgrade Outcomes, or point state_path at another file"
        )


def _apply(conn: sqlite3.Connection, path: Path, migration: Migration) -> None:
    with immediate(conn):
        check_not_newer(conn, path)
        version = user_version(conn)
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
        if migration.then is not None:
            migration.then(conn)
        conn.execute(
            "insert into schema_migrations (version, applied_at, description) values (?, ?, ?)",
            (
                migration.version,
                datetime.now(UTC).strftime(TIMESTAMP_FORMAT),
                migration.description,
            ),
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
