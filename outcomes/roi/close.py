"""Period close and restatement of the ROI ledger.

``close_period`` freezes one month or quarter of ``main.roi_ledger`` (every row, amounts as
exact decimal text) together with the build's manifest (SQL hashes, assumption versions, data
fingerprints, build id), who closed it and when, in the state store (tables ``period_closes``
and ``closed_ledger_rows``, append-only: SQLite triggers abort any UPDATE or DELETE, and a
second close of the same period). A closed period is never altered: a later build whose
ledger differs for a closed period shows up in ``restatements`` as original vs restated
amount per line and week, naming each input that changed (assumption value or version,
metric value, SQL hash...). Re-closing a period would need an explicit, audited 'reopen',
which does not exist yet: closing twice is refused.

A week belongs to the period that contains its ``week_start``.

>>> parse_period("2026-Q1")
Period(label='2026-Q1', start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31))
>>> parse_period("2026-02").end
datetime.date(2026, 2, 28)
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, localcontext
from typing import Any

import duckdb

from outcomes.config import Settings
from outcomes.errors import OutcomesError
from outcomes.store import state
from outcomes.store.state import StateStore

AMOUNT_PLACES = Decimal("1E-10")  # DECIMAL(38,10), the ledger's amount type
INPUT_FIELDS = (
    "name",
    "value",
    "unit",
    "source_type",
    "source_ref",
    "sql_sha256",
    "effective_from",
    "owner",
)
LEDGER_COLUMNS = (
    "week_start",
    "line_id",
    "category",
    "title",
    "formula",
    "formula_filled",
    "inputs",
    "amount",
    "currency",
)


class PeriodError(OutcomesError, ValueError):
    """A period label that is neither ``YYYY-MM`` nor ``YYYY-Qn``."""


class CloseError(OutcomesError, RuntimeError):
    """A period that cannot be closed (already closed, nothing to close, build failed...)."""


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # inclusive

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def parse_period(text: str) -> Period:
    """A month ``YYYY-MM`` or a quarter ``YYYY-Qn`` (first and last day, inclusive).

    >>> parse_period("2025-q4").label
    '2025-Q4'
    """
    label = str(text).strip().upper()
    if m := re.fullmatch(r"(\d{4})-(\d{2})", label):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"period {text!r}: the month of YYYY-MM must be 01..12")
        return Period(label, date(year, month, 1), _month_end(year, month))
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", label):
        year, quarter = int(m[1]), int(m[2])
        first = 3 * quarter - 2
        return Period(label, date(year, first, 1), _month_end(year, first + 2))
    raise PeriodError(
        f"period {text!r} is not a month (YYYY-MM, e.g. 2026-03) or a quarter (YYYY-Qn, e.g. 2026-Q1)"
    )


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# -- ledger rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerInput:
    """One named input of a ledger row, as in ``main.roi_ledger.inputs``."""

    name: str
    value: str  # exact decimal text
    unit: str | None = None
    source_type: str | None = None  # metric / assumption / cost_rows / events
    source_ref: str | None = None
    sql_sha256: str | None = None
    effective_from: str | None = None
    owner: str | None = None

    @classmethod
    def from_mapping(cls, item: Mapping[str, Any]) -> LedgerInput:
        values = {f: _text_or_none(item.get(f)) for f in INPUT_FIELDS}
        if not values["name"] or values["value"] is None:
            raise ValueError(f"ledger input without name or value: {dict(item)!r}")
        return cls(**values)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, str | None]:
        return {f: getattr(self, f) for f in INPUT_FIELDS}

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.value)


@dataclass(frozen=True)
class LedgerRow:
    """One row of ``main.roi_ledger``: one ROI line in one week."""

    week_start: date
    line_id: str
    category: str  # benefit | cost
    title: str
    formula: str
    formula_filled: str
    inputs: tuple[LedgerInput, ...]
    amount: Decimal
    currency: str

    @property
    def key(self) -> tuple[date, str]:
        return (self.week_start, self.line_id)

    def input_values(self) -> dict[str, Decimal]:
        return {i.name: i.decimal for i in self.inputs}

    def canonical(self) -> dict[str, Any]:
        """The row as canonical JSON-ready text (dates ISO, amounts 10-place decimal text)."""
        return {
            "week_start": self.week_start.isoformat(),
            "line_id": self.line_id,
            "category": self.category,
            "title": self.title,
            "formula": self.formula,
            "formula_filled": self.formula_filled,
            "inputs": [i.as_dict() for i in self.inputs],
            "amount": amount_text(self.amount),
            "currency": self.currency,
        }

    @classmethod
    def from_canonical(cls, row: Mapping[str, Any]) -> LedgerRow:
        inputs = row["inputs"]
        if isinstance(inputs, str):
            inputs = json.loads(inputs, parse_float=Decimal)
        return cls(
            week_start=_as_date(row["week_start"]),
            line_id=str(row["line_id"]),
            category=str(row["category"]),
            title=str(row["title"] or ""),
            formula=str(row["formula"]),
            formula_filled=str(row["formula_filled"] or ""),
            inputs=tuple(LedgerInput.from_mapping(i) for i in inputs),
            amount=Decimal(str(row["amount"])),
            currency=str(row["currency"]),
        )


def amount_text(amount: Decimal) -> str:
    """Exact decimal text of an amount with the ledger's 10 places.

    >>> amount_text(Decimal("12.5"))
    '12.5000000000'
    """
    with localcontext() as ctx:
        ctx.prec = 60
        return f"{Decimal(amount).quantize(AMOUNT_PLACES):f}"


def read_ledger(con: duckdb.DuckDBPyConnection, start: date, end: date) -> list[LedgerRow]:
    """Rows of ``main.roi_ledger`` with ``start <= week_start <= end``, by week then line."""
    # Executed on ``con`` itself (results fetched at once): a cursor would start on the
    # in-memory catalog instead of the attached snapshot.
    try:
        rows = con.execute(
            "select week_start, line_id, category, title, formula, formula_filled, "
            "inputs::varchar, amount::varchar, currency from main.roi_ledger "
            "where week_start between ? and ? order by week_start, line_id",
            [start, end],
        ).fetchall()
    except duckdb.CatalogException as exc:
        raise CloseError(
            "the snapshot has no main.roi_ledger: run `outcomes build` with sql/roi lines"
        ) from exc
    return sort_rows(
        LedgerRow.from_canonical(dict(zip(LEDGER_COLUMNS, r, strict=True))) for r in rows
    )


def sort_rows(rows: Iterable[LedgerRow]) -> list[LedgerRow]:
    return sorted(rows, key=lambda r: r.key)


def ledger_sha256(rows: Iterable[LedgerRow]) -> str:
    """sha256 of the canonical ledger: one compact sorted-key JSON object per row, LF-ended.

    The same function hashes a close and an audit pack, so the two can be compared.
    """
    buffer = io.StringIO()
    for row in sort_rows(rows):
        buffer.write(json.dumps(row.canonical(), sort_keys=True, separators=(",", ":")))
        buffer.write("\n")
    return hashlib.sha256(buffer.getvalue().encode()).hexdigest()


@dataclass(frozen=True)
class Totals:
    benefits: Decimal
    costs: Decimal

    @property
    def net(self) -> Decimal:
        return self.benefits - self.costs

    @property
    def roi(self) -> Decimal | None:
        """net / costs (None when there are no costs)."""
        if self.costs == 0:
            return None
        with localcontext() as ctx:
            ctx.prec = 38
            return self.net / self.costs

    def as_dict(self) -> dict[str, str | None]:
        roi = self.roi
        return {
            "benefits": amount_text(self.benefits),
            "costs": amount_text(self.costs),
            "net": amount_text(self.net),
            "roi": None if roi is None else str(roi),
        }


def ledger_totals(rows: Iterable[LedgerRow]) -> Totals:
    benefits = costs = Decimal(0)
    for row in rows:
        if row.category == "cost":
            costs += row.amount
        else:
            benefits += row.amount
    return Totals(benefits, costs)


# -- manifest of a build ---------------------------------------------------------------------


def build_manifest(con: duckdb.DuckDBPyConnection, rows: Sequence[LedgerRow]) -> dict[str, Any]:
    """What a close (or an audit pack) records about the snapshot its ledger came from.

    The build (id, status, settings, raw fingerprint), every build object with its SQL hash,
    the assumption versions the rows used, the register in force and the loads (data
    fingerprints). Parts the snapshot does not have are left out.
    """
    manifest: dict[str, Any] = {}
    build = _query(con, "select * from main.build_manifest limit 1")
    if not build:
        raise CloseError(
            "the snapshot has no main.build_manifest row: rebuild it (`outcomes build`)"
        )
    b = build[0]
    for key in ("settings",):
        if isinstance(b.get(key), str):
            b[key] = json.loads(b[key])
    manifest["build"] = {k: _jsonable(v) for k, v in b.items()}
    objects = _query(
        con,
        "select name, kind, path, sql_sha256, status, depends_on, load_ids from main.build_objects "
        "order by kind, name",
    )
    manifest["objects"] = [{k: _jsonable(v) for k, v in o.items()} for o in objects]
    used: dict[tuple[str, str | None], str] = {}
    for row in rows:
        for i in row.inputs:
            if i.source_type == "assumption":
                used[(i.source_ref or i.name, i.effective_from)] = i.value
    manifest["assumptions_used"] = [
        {"key": k, "effective_from": ef, "value": v} for (k, ef), v in sorted(used.items(), key=str)
    ]
    register = _query(
        con,
        "select key, effective_from, value::varchar as value, unit, owner, source, load_id "
        "from staging.assumptions order by key, effective_from",
    )
    if register:
        manifest["assumptions_register"] = [
            {k: _jsonable(v) for k, v in r.items()} for r in register
        ]
    loads = _query(
        con,
        "select load_id, table_name, file_sha256, status from raw.loads order by load_id",
    )
    if loads:
        manifest["loads"] = [{k: _jsonable(v) for k, v in r.items()} for r in loads]
    return manifest


def _query(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    try:
        result = con.execute(sql)
        names = [d[0] for d in result.description]
        return [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    except (duckdb.CatalogException, duckdb.BinderException):
        return []  # an optional part the snapshot does not have


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


def close_period(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    closed_by: str,
    *,
    store: StateStore | None = None,
) -> CloseRecord:
    """Freeze ``period``'s ledger rows and the build's manifest in the state store.

    Refused (``CloseError``) when the period is already closed, has no ledger rows, is not
    over at the build's ``as_of``, or comes from a failed build.
    """
    p = parse_period(period)
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
    rows = read_ledger(con, p.start, p.end)
    if not rows:
        raise CloseError(
            f"no ROI ledger rows with week_start in {p.label} ({p.start} .. {p.end}): nothing to close"
        )
    manifest = build_manifest(con, rows)
    build = manifest["build"]
    if build.get("status") not in (None, "ok"):
        raise CloseError(
            f"build {build.get('build_id')} has status {build.get('status')!r}: fix the failed "
            "definitions and rebuild before closing a period"
        )
    as_of = _as_of(con)
    if as_of is not None and as_of <= p.end:
        raise CloseError(
            f"period {p.label} is not over at the build's as_of ({as_of.isoformat()}): "
            f"close it after {p.end.isoformat()}, with a build made after that day"
        )
    manifest["period"] = {"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat()}
    digest = ledger_sha256(rows)
    totals = ledger_totals(rows).as_dict()
    build_id = str(build.get("build_id"))
    manifest_json = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
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
            "insert into closed_ledger_rows (close_id, week_start, line_id, category, title, "
            "formula, formula_filled, inputs, amount, currency) values (?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    close_id,
                    c["week_start"],
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
        state._audit(
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
    frozen = store._select("closed_ledger_rows", ["close_id = ?"], [r["id"]], "week_start, line_id")
    return CloseRecord(
        id=r["id"],
        period=r["period"],
        start=date.fromisoformat(r["period_start"]),
        end=date.fromisoformat(r["period_end"]),
        build_id=r["build_id"],
        closed_by=r["closed_by"],
        closed_at=state._ts(r["closed_at"]),
        manifest=json.loads(r["manifest"]),
        ledger_sha256=r["ledger_sha256"],
        totals=json.loads(r["totals"]),
        rows=tuple(LedgerRow.from_canonical(dict(f)) for f in frozen),
    )


def _as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    rows = _query(con, "select value from main.build_settings where key = 'as_of'")
    if not rows or not rows[0]["value"]:
        return None
    return datetime.fromisoformat(str(rows[0]["value"]).replace("T", " ")).date()


# -- restatements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InputChange:
    """One input of a line that differs between the close and the current build."""

    name: str
    source_type: str | None
    source_ref: str | None
    change: str  # changed | added | removed
    fields: tuple[tuple[str, str | None, str | None], ...]  # (field, old, new)
    effective_from: str | None = None  # the closed version (assumptions)

    def describe(self) -> str:
        """E.g. ``assumption loaded_hourly_cost (effective_from 2026-01-01): value 62.50 -> 70.00``."""
        what = f"{self.source_type or 'input'} {self.source_ref or self.name}"
        if self.source_ref and self.source_ref != self.name:
            what += f" (as {self.name})"
        if self.effective_from and not any(f == "effective_from" for f, _, _ in self.fields):
            what += f" (effective_from {self.effective_from})"
        if self.change != "changed":
            return f"{what}: input {self.change}"
        parts = [f"{f} {old} -> {new}" for f, old, new in self.fields]
        return f"{what}: " + ", ".join(parts)


@dataclass(frozen=True)
class LineRestatement:
    week_start: date
    line_id: str
    title: str
    category: str
    status: str  # changed | added | removed | provenance (same amount, inputs changed)
    original: Decimal | None
    restated: Decimal | None
    input_changes: tuple[InputChange, ...]
    formula_change: tuple[str, str] | None = None

    @property
    def difference(self) -> Decimal:
        return (self.restated or Decimal(0)) - (self.original or Decimal(0))

    def describe(self) -> str:
        head = f"{self.week_start} {self.line_id}: "
        if self.status == "added":
            head += f"added, restated {amount_text(self.restated or Decimal(0))}"
        elif self.status == "removed":
            head += f"removed, original {amount_text(self.original or Decimal(0))}"
        else:
            head += (
                f"original {amount_text(self.original or Decimal(0))} -> restated "
                f"{amount_text(self.restated or Decimal(0))} (difference {amount_text(self.difference)})"
            )
        notes = [c.describe() for c in self.input_changes]
        if self.formula_change:
            notes.append(f"formula {self.formula_change[0]!r} -> {self.formula_change[1]!r}")
        return head + ("; " + "; ".join(notes) if notes else "")


@dataclass(frozen=True)
class Restatement:
    """A closed period compared with the current snapshot's ledger."""

    period: str
    close_id: int
    closed_at: datetime
    closed_by: str
    closed_build_id: str
    current_build_id: str | None
    lines: tuple[LineRestatement, ...]  # amount changed, or line added / removed
    provenance: tuple[LineRestatement, ...]  # same amount, but an input or the formula changed
    original_totals: dict[str, str | None]
    restated_totals: dict[str, str | None]

    @property
    def restated(self) -> bool:
        return bool(self.lines)

    def changed_inputs(self) -> list[str]:
        """Distinct descriptions of the inputs that changed, e.g. for a one-line summary."""
        seen: dict[str, None] = {}
        for line in self.lines:
            for c in line.input_changes:
                seen.setdefault(c.describe(), None)
        return list(seen)

    def describe(self) -> str:
        if not self.restated and not self.provenance:
            return f"{self.period}: unchanged since close #{self.close_id} ({self.closed_build_id})"
        out = [
            f"{self.period}: closed #{self.close_id} by {self.closed_by} at "
            f"{self.closed_at:%Y-%m-%d %H:%M} UTC on build {self.closed_build_id}; current build "
            f"{self.current_build_id}",
            f"  net {self.original_totals['net']} -> {self.restated_totals['net']}",
        ]
        out += ["  RESTATED " + line.describe() for line in self.lines]
        out += ["  provenance " + line.describe() for line in self.provenance]
        return "\n".join(out)


def restatements(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    include_unchanged: bool = False,
    store: StateStore | None = None,
) -> list[Restatement]:
    """Every closed period whose current ledger differs from what was closed, oldest close first.

    ``include_unchanged`` also returns the closed periods that still match (``.restated`` and
    ``.provenance`` empty).
    """
    current_build = _query(con, "select build_id from main.build_manifest limit 1")
    current_build_id = current_build[0]["build_id"] if current_build else None
    out: list[Restatement] = []
    for close in closed_periods(settings, store=store):
        now_rows = read_ledger(con, close.start, close.end)
        lines, provenance = compare_rows(close.rows, now_rows)
        if not (lines or provenance or include_unchanged):
            continue
        out.append(
            Restatement(
                period=close.period,
                close_id=close.id,
                closed_at=close.closed_at,
                closed_by=close.closed_by,
                closed_build_id=close.build_id,
                current_build_id=current_build_id,
                lines=tuple(lines),
                provenance=tuple(provenance),
                original_totals=close.totals,
                restated_totals=ledger_totals(now_rows).as_dict(),
            )
        )
    return out


def compare_rows(
    original: Iterable[LedgerRow], current: Iterable[LedgerRow]
) -> tuple[list[LineRestatement], list[LineRestatement]]:
    """(lines whose amount changed or that were added / removed, lines with changed inputs only)."""
    before = {r.key: r for r in original}
    after = {r.key: r for r in current}
    lines: list[LineRestatement] = []
    provenance: list[LineRestatement] = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        ref = new or old
        assert ref is not None
        changes = diff_inputs(old.inputs if old else (), new.inputs if new else ())
        formula = (old.formula, new.formula) if old and new and old.formula != new.formula else None
        if old is None or new is None:
            status = "added" if old is None else "removed"
        elif old.amount != new.amount:
            status = "changed"
        elif changes or formula:
            status = "provenance"
        else:
            continue
        item = LineRestatement(
            week_start=ref.week_start,
            line_id=ref.line_id,
            title=ref.title,
            category=ref.category,
            status=status,
            original=old.amount if old else None,
            restated=new.amount if new else None,
            input_changes=tuple(changes) if old and new else (),
            formula_change=formula,
        )
        (provenance if status == "provenance" else lines).append(item)
    return lines, provenance


def diff_inputs(old: Sequence[LedgerInput], new: Sequence[LedgerInput]) -> list[InputChange]:
    """Inputs (matched by name) whose value, version, SQL hash, unit, source or owner differ."""
    before = {i.name: i for i in old}
    after = {i.name: i for i in new}
    changes: list[InputChange] = []
    for name in [*before, *(n for n in after if n not in before)]:
        a, b = before.get(name), after.get(name)
        ref = b or a
        assert ref is not None
        if a is None or b is None:
            changes.append(
                InputChange(
                    name, ref.source_type, ref.source_ref, "added" if a is None else "removed", ()
                )
            )
            continue
        fields = []
        # The version first, so "effective_from X -> Y, value 62.50 -> 70.00" reads naturally.
        for f in (
            "source_type",
            "source_ref",
            "effective_from",
            "value",
            "unit",
            "sql_sha256",
            "owner",
        ):
            x, y = getattr(a, f), getattr(b, f)
            if f == "value" and x is not None and y is not None and Decimal(x) == Decimal(y):
                continue
            if x != y:
                fields.append((f, x, y))
        if fields:
            changes.append(
                InputChange(
                    name, b.source_type, b.source_ref, "changed", tuple(fields), a.effective_from
                )
            )
    return changes


# -- helpers ---------------------------------------------------------------------------------


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise ValueError(f"ledger input value {value!r} is a float; the ledger stores decimal text")
    text = str(value)
    return text if text != "" else None


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
