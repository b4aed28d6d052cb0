"""The inputs of a traced ROI figure: each with its source, its SQL and the rows behind it.

For one ledger row's input: the metric's rows of the week, the assumption's versions (and who
changed the one in force, and why), the cost lines and their weekly shares, or a sample of the
events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from outcomes.roi.fetch import fetch_frame, fetch_rows
from outcomes.roi.ledger import LedgerInput, LedgerRow, decimal_text
from outcomes.roi.line_specs import SOURCE_OBJECT
from outcomes.roi.trace_sql import SqlText, sql_for


@dataclass(frozen=True)
class TraceInput:
    """One input of a traced figure, with its source, its SQL and the rows behind it."""

    name: str
    value: Decimal
    unit: str | None
    source_type: str  # metric | assumption | cost_rows | events | ledger
    source_ref: str
    sql_sha256: str | None
    effective_from: str | None
    owner: str | None
    sql_name: str | None = None  # e.g. metrics.hours_saved
    sql: str | None = None
    note: str | None = None  # e.g. who changed an assumption and why
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)


def traced_input(
    con: duckdb.DuckDBPyConnection, entry: LedgerRow, i: LedgerInput, sample: int
) -> TraceInput:
    """``i`` of ``entry`` traced: its source's SQL and rows (at most ``sample`` events)."""
    week, ref, system = entry.week_start, str(i.source_ref), entry.system
    note: str | None = None
    if i.source_type == "metric":
        name = ref.removeprefix("metrics.").split("[", 1)[0].split(".", 1)[0]
        sql_name = f"metrics.{name}"
        rows = fetch_frame(
            con,
            f'select * from metrics."{name}" where week_start = ? and system = ?',
            [week, system],
        )
    elif i.source_type == "assumption":
        sql_name = SOURCE_OBJECT["assumption"]
        rows = fetch_frame(
            con,
            "select * from staging.assumptions where key = ? and (system is null or system = ?) "
            "order by system nulls first, effective_from",
            [ref, system],
        )
        note = _assumption_note(con, i)
    elif i.source_type == "cost_rows":
        sql_name = SOURCE_OBJECT["cost_rows"]
        category = _between(ref, r"\[([^\]]+)\]")
        rows = fetch_frame(
            con,
            "select a.cost_id, a.category, a.week_start, a.system, a.method, a.driver, "
            "a.driver_total, a.amount as system_amount, w.amount as week_amount, "
            "w.days_in_week, w.days_in_period, c.period_start, c.period_end, "
            "c.amount as cost_amount, w.currency, w.vendor, w.invoice_ref "
            "from staging.cost_allocations as a "
            "inner join staging.cost_weeks as w on w.cost_id = a.cost_id "
            "and w.week_start = a.week_start "
            "inner join staging.costs as c on c.cost_id = a.cost_id "
            "where a.category = ? and a.week_start = ? and a.system = ? order by a.cost_id",
            [category, week, system],
        )
        note = (
            f"{len(rows)} cost line{'s' if len(rows) != 1 else ''}, each spread over its period "
            "by calendar day in whole cents (week_amount); a shared one split over the systems "
            "by its driver (method; the system's driver / driver_total, largest remainder, "
            "whole cents); system_amount adds up to the input"
        )
    elif i.source_type == "events":
        sql_name = SOURCE_OBJECT["events"]
        column = _between(ref, r"sum\((\w+)\)") or "cost_usd"
        rows = fetch_frame(
            con,
            f'select event_id, occurred_at, system, model_version, segment, action_tier, "{column}" '
            "from staging.ai_events where week_start = ? and system = ? "
            f"order by event_id limit {int(sample)}",
            [week, system],
        )
        note = f"{ref}; the first {len(rows)} by event_id are shown"
    else:
        sql_name, rows = None, pd.DataFrame()
    text = sql_for(con, sql_name) if sql_name else SqlText(None, None, None, None)
    return TraceInput(
        name=i.name,
        value=i.decimal,
        unit=i.unit,
        source_type=str(i.source_type),
        source_ref=ref,
        sql_sha256=i.sql_sha256 or text.sha256,
        effective_from=i.effective_from,
        owner=i.owner,
        sql_name=sql_name,
        sql=text.text,
        note=" ".join(n for n in (note, text.note) if n) or None,
        rows=rows,
    )


def _assumption_note(con: duckdb.DuckDBPyConnection, i: LedgerInput) -> str | None:
    """Where the version in force came from: the register file line, a CLI change, a load."""
    try:
        found = fetch_rows(
            con,
            "select s.origin, s.load_id, r.changed_by, r.changed_at, r.why, r.old_value::varchar, "
            "r.source_file, r.line from staging.assumptions as s "
            "left join raw.assumption_register as r "
            "on r.load_id = s.load_id and r.key = s.key and r.effective_from = s.effective_from "
            "and r.system is not distinct from s.system "
            "where s.key = ? and s.system is not distinct from ? and s.effective_from = ?",
            [i.source_ref, i.assumption_system, i.effective_from],
        )
    except duckdb.Error:  # a snapshot built before the register was merged
        found = fetch_rows(
            con,
            "select 'ingest', load_id, null, null, null, null, null, null from staging.assumptions "
            "where key = ? and system is not distinct from ? and effective_from = ?",
            [i.source_ref, i.assumption_system, i.effective_from],
        )
    if not found:
        return None
    origin, load_id, who, when, why, old, source_file, line = found[0]
    if origin == "cli":
        was = f" (was {decimal_text(Decimal(old))})" if old is not None else ""
        return f"set with `outcomes assumptions set` by {who} at {when}{was}: {why}"
    if origin == "file":
        return (
            f"from the register file {Path(source_file).name if source_file else ''}, line {line}"
        )
    return f"ingested into raw.assumptions (load {load_id})"


def _between(text: str, pattern: str) -> str | None:
    m = re.search(pattern, text)
    return m.group(1) if m else None
