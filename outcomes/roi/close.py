"""Period close of the ROI ledger: one month or quarter frozen, with the build it came from.

``close_period`` freezes one month or quarter of ``main.roi_ledger`` (every row, amounts as
exact decimal text) together with the build's manifest (SQL hashes, assumption versions, data
fingerprints, build id), who closed it and when, in the state store (tables ``period_closes``
and ``closed_ledger_rows``, append-only: SQLite triggers abort any UPDATE or DELETE, and a
second close of the same period). A closed period is never altered: a later build whose
ledger differs for a closed period shows up in :func:`outcomes.roi.restatements.restatements`
as original vs restated amount per line and week. Re-closing a period would need an explicit,
audited 'reopen', which does not exist yet: closing twice is refused.

A week belongs to the period that contains its ``week_start`` (:mod:`outcomes.core.periods`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from outcomes.config import Settings
from outcomes.core.periods import CLOSABLE, Period, parse_period
from outcomes.errors import OutcomesError
from outcomes.roi.fetch import fetch_records
from outcomes.roi.ledger import LedgerMissing, LedgerRow, ledger_sha256, read_ledger
from outcomes.roi.pack_signing import ensure_key
from outcomes.roi.period_status import failed_roi_dependencies, period_status
from outcomes.roi.totals import ledger_totals
from outcomes.store.state import StateStore
from outcomes.store.state_audit import write_audit_entry
from outcomes.store.state_values import parse_timestamp


class CloseError(OutcomesError, RuntimeError):
    """A period that cannot be closed (already closed, nothing to close, build failed...)."""


def period_rows(con: duckdb.DuckDBPyConnection, period: Period) -> list[LedgerRow]:
    """The ledger rows of ``period``; :class:`CloseError` when the snapshot has no ledger."""
    try:
        return read_ledger(con, period.start, period.end)
    except LedgerMissing as exc:
        raise CloseError(str(exc)) from exc


# -- manifest of a build ---------------------------------------------------------------------


def build_manifest(con: duckdb.DuckDBPyConnection, rows: Sequence[LedgerRow]) -> dict[str, Any]:
    """What a close (or an audit pack) records about the snapshot its ledger came from.

    The build (id, status, settings, raw fingerprint), every build object with its SQL hash,
    the assumption versions the rows used, the register in force and the loads (data
    fingerprints). Parts the snapshot does not have are left out.
    """
    manifest: dict[str, Any] = {}
    build = fetch_records(con, "select * from main.build_manifest limit 1")
    if not build:
        raise CloseError(
            "the snapshot has no main.build_manifest row: rebuild it (`outcomes build`)"
        )
    b = build[0]
    for key in ("settings",):
        if isinstance(b.get(key), str):
            b[key] = json.loads(b[key])
    manifest["build"] = {k: _jsonable(v) for k, v in b.items()}
    objects = fetch_records(
        con,
        "select name, kind, path, sql_sha256, status, error, depends_on, load_ids "
        "from main.build_objects "
        "order by kind, name",
    )
    manifest["objects"] = [{k: _jsonable(v) for k, v in o.items()} for o in objects]
    used: dict[tuple[str, str | None, str | None], str] = {}
    for row in rows:
        for i in row.inputs:
            if i.source_type == "assumption":
                used[(i.source_ref or i.name, i.assumption_system, i.effective_from)] = i.value
    # "system": the system whose own version was used (null: the company-wide one)
    manifest["assumptions_used"] = [
        {"key": k, "system": s, "effective_from": ef, "value": v}
        for (k, s, ef), v in sorted(used.items(), key=str)
    ]
    register = fetch_records(
        con,
        "select key, system, effective_from, value::varchar as value, unit, owner, source, "
        "load_id from staging.assumptions order by key, system nulls first, effective_from",
    )
    if register:
        manifest["assumptions_register"] = [
            {k: _jsonable(v) for k, v in r.items()} for r in register
        ]
    loads = fetch_records(
        con,
        "select load_id, table_name, file_sha256, status from raw.loads order by load_id",
    )
    if loads:
        manifest["loads"] = [{k: _jsonable(v) for k, v in r.items()} for r in loads]
    return manifest


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


# -- close -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseRecord:
    """A closed period: who closed it, when, on which build, and the rows it froze."""

    id: int
    period: str
    start: date
    end: date
    build_id: str
    closed_by: str
    closed_at: datetime
    manifest: dict[str, Any]
    ledger_sha256: str
    totals: dict[str, str | None]
    rows: tuple[LedgerRow, ...] = field(repr=False, default=())

    @property
    def provisional(self) -> bool:
        """True for an explicit provisional close (partial weeks or provisional lines)."""
        return "provisional" in self.manifest

    @property
    def marker(self) -> str:
        """``" (PROVISIONAL)"`` for a provisional close, else empty: shown after the period."""
        return " (PROVISIONAL)" if self.provisional else ""


def close_period(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    closed_by: str,
    *,
    store: StateStore | None = None,
    provisional: bool = False,
) -> CloseRecord:
    """Freeze ``period``'s ledger rows and the build's manifest in the state store.

    Refused (``CloseError``) when the period is already closed, has no ledger rows, is not
    over at the build's ``as_of``, or a ROI line depends on a definition that failed in the
    build; and, unless ``provisional``, when a week of it is partial or a line provisional
    (:mod:`outcomes.roi.period_status`). A provisional close records why in its manifest
    (``provisional``) and says so wherever the close is shown.
    """
    p = parse_period(period, forms=CLOSABLE)
    closed_by = (closed_by or "").strip()
    if not closed_by:
        raise CloseError("closed_by must name who closes the period")
    store = store or StateStore(settings.state_path)
    existing = _close_row(store, p.label)
    if existing is not None:
        raise CloseError(
            f"period {p.label} is already closed (close #{existing['id']} by {existing['closed_by']} "
            f"at {existing['closed_at']}, build {existing['build_id']}); a closed period is never "
            "altered. Re-closing needs an explicit reopen, which Outcomes does not offer yet; "
            "see `outcomes roi restatements` for what a later build changed"
        )
    rows = period_rows(con, p)
    if not rows:
        raise CloseError(
            f"no ROI ledger rows with week_start in {p.label} ({p.start} .. {p.end}): nothing to close"
        )
    manifest = build_manifest(con, rows)
    build = manifest["build"]
    failed = failed_roi_dependencies(manifest["objects"])
    if failed:
        named = "; ".join(f"{name}: {error}" for name, error in failed.items())
        raise CloseError(
            f"build {build.get('build_id')} has failed definitions that ROI lines depend on "
            f"({named}): fix them and rebuild before closing {p.label}"
        )
    others = [o["name"] for o in manifest["objects"] if o.get("status") not in (None, "ok")]
    if build.get("status") not in (None, "ok") and not others:
        raise CloseError(
            f"build {build.get('build_id')} has status {build.get('status')!r}: fix the failed "
            "definitions and rebuild before closing a period"
        )
    if others:  # failed definitions no ROI line reads: the close goes on, and says so
        manifest["failed_unrelated"] = sorted(others)
    as_of = _as_of(con)
    if as_of is not None and as_of <= p.end:
        raise CloseError(
            f"period {p.label} is not over at the build's as_of ({as_of.isoformat()}): "
            f"close it after {p.end.isoformat()}, with a build made after that day"
        )
    status = period_status(con, p, rows)
    if not status.final and not provisional:
        raise CloseError(
            f"period {p.label} is not final: {'; '.join(status.badges())}; close it after "
            "those weeks are complete and labelled and rebuilt, or close it explicitly "
            "provisional (`outcomes roi close --provisional`)"
        )
    if provisional:
        manifest["provisional"] = status.as_dict()
    manifest["period"] = {"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat()}
    digest = ledger_sha256(rows)
    totals = ledger_totals(rows).as_dict()
    build_id = str(build.get("build_id"))
    manifest_json = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    ensure_key(settings)  # the key that signs closed periods' audit packs (roi.pack_signing)
    with store._write() as (conn, at):
        try:
            cur = conn.execute(
                "insert into period_closes (period, period_start, period_end, build_id, closed_by, "
                "closed_at, manifest, ledger_sha256, row_count, totals) values (?,?,?,?,?,?,?,?,?,?)",
                (
                    p.label,
                    p.start.isoformat(),
                    p.end.isoformat(),
                    build_id,
                    closed_by,
                    at,
                    manifest_json,
                    digest,
                    len(rows),
                    json.dumps(totals, sort_keys=True),
                ),
            )
        except sqlite3.IntegrityError as exc:  # a concurrent close won the race
            raise CloseError(f"period {p.label} is already closed: {exc}") from exc
        close_id = int(cur.lastrowid or 0)
        conn.executemany(
            "insert into closed_ledger_rows (close_id, week_start, system, line_id, category, "
            "title, formula, formula_filled, inputs, amount, currency) "
            "values (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    close_id,
                    c["week_start"],
                    c["system"],
                    c["line_id"],
                    c["category"],
                    c["title"],
                    c["formula"],
                    c["formula_filled"],
                    json.dumps(c["inputs"], sort_keys=True, separators=(",", ":")),
                    c["amount"],
                    c["currency"],
                )
                for c in (r.canonical() for r in rows)
            ],
        )
        write_audit_entry(
            conn,
            at,
            closed_by,
            "close",
            "roi_period",
            p.label,
            {
                "close_id": close_id,
                "build_id": build_id,
                "ledger_sha256": digest,
                "rows": len(rows),
                "provisional": provisional,
                **totals,
            },
        )
    record = _close_row(store, p.label)
    assert record is not None
    return _record(store, record)


def closed_periods(settings: Settings, *, store: StateStore | None = None) -> list[CloseRecord]:
    """Every closed period, oldest close first, with its frozen rows."""
    store = store or StateStore(settings.state_path)
    rows = store._select("period_closes", [], [], "id")
    return [_record(store, r) for r in rows]


def _close_row(store: StateStore, period: str) -> Any:
    rows = store._select("period_closes", ["period = ?"], [period], "id")
    return rows[0] if rows else None


def _record(store: StateStore, r: Any) -> CloseRecord:
    frozen = store._select(
        "closed_ledger_rows", ["close_id = ?"], [r["id"]], "week_start, system, line_id"
    )
    return CloseRecord(
        id=r["id"],
        period=r["period"],
        start=date.fromisoformat(r["period_start"]),
        end=date.fromisoformat(r["period_end"]),
        build_id=r["build_id"],
        closed_by=r["closed_by"],
        closed_at=parse_timestamp(r["closed_at"]),
        manifest=json.loads(r["manifest"]),
        ledger_sha256=r["ledger_sha256"],
        totals=json.loads(r["totals"]),
        rows=tuple(LedgerRow.from_canonical(dict(f)) for f in frozen),
    )


def _as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    rows = fetch_records(con, "select value from main.build_settings where key = 'as_of'")
    if not rows or not rows[0]["value"]:
        return None
    return datetime.fromisoformat(str(rows[0]["value"]).replace("T", " ")).date()
