"""Show the working of any ROI figure: formula, numbers, sources, SQL and the rows behind it.

One call, :func:`trace`, for

- one line in one week (``line_id`` + ``week``): the line's formula with the numbers in it,
  every input with its value, unit, source (metric + SQL sha256, assumption key +
  effective_from + who changed it and why, cost ids, events), owner, the SQL text of the ROI
  file and of each input's source file, and the rows behind each input (the metric's rows of
  the week, the assumption's versions, the cost lines and their weekly shares, a sample of the
  events);
- one line over a period (``line_id`` + ``period``): the sum of its weekly amounts;
- a total (``figure`` = total_benefits, total_costs, net_value, roi, cumulative_net or
  run_rate_annualised, over ``period``): the formula over the totals, and the lines summed.

SQL text comes from the snapshot (``main.roi_sql``, written by the build with the ledger), so it
is the text the figures were built with; for an older snapshot it is read from the file named
in ``main.build_objects`` and flagged when the file has changed since (sha256 differs).

The app's "show working" calls :func:`trace` and shows :attr:`Trace.inputs`, :attr:`Trace.sql`
and the DataFrames; ``outcomes roi trace`` prints :meth:`Trace.render`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from outcomes.core.formula import Formula
from outcomes.errors import OutcomesError
from outcomes.roi.ledger import (
    SOURCE_OBJECT,
    LedgerEntry,
    LedgerInput,
    amount_text,
    decimal_text,
    display,
    read_ledger,
)
from outcomes.roi.summary import period_bounds, ratio, summarise

FIGURES = (
    "total_benefits",
    "total_costs",
    "net_value",
    "roi",
    "cumulative_net",
    "run_rate_annualised",
)
EVENT_SAMPLE = 20
Period = str | tuple[dt.date | None, dt.date | None] | None


class TraceError(OutcomesError, LookupError):
    """Nothing to trace: unknown line, no ledger row that week, unknown figure."""


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


@dataclass(frozen=True)
class TraceLine:
    """A ledger line (or one week of it) that a total adds up."""

    line_id: str
    category: str
    title: str
    amount: Decimal
    weeks: int
    week_start: dt.date | None = None


@dataclass(frozen=True)
class Trace:
    figure: str  # line_week | line | one of FIGURES
    label: str
    start: dt.date | None
    end: dt.date | None
    formula: str
    formula_filled: str
    value: Decimal | None
    currency: str
    inputs: tuple[TraceInput, ...]
    lines: tuple[TraceLine, ...]
    rows: pd.DataFrame  # the ledger rows (or the ROI table row) behind the figure
    sql_name: str | None = None
    sql_path: str | None = None
    sql_sha256: str | None = None
    sql: str | None = None
    sql_note: str | None = None

    def render(self, sql: bool = False) -> str:
        """Plain text for the CLI; ``sql=True`` adds the SQL texts."""
        unit = "" if self.figure == "roi" else f" {self.currency}"
        value = (
            "n/a"
            if self.value is None
            else (f"{self.value}" if self.figure == "roi" else f"{decimal_text(self.value)}")
        )
        shown = (
            ""
            if self.value is None or self.figure == "roi"
            else f" (display {display(self.value)})"
        )
        out = [
            self.label,
            f"  formula: {self.formula}",
            f"         = {self.formula_filled}",
            f"         = {value}{unit}{shown}",
        ]
        if self.sql_name:
            out.append(f"  sql: {self.sql_name} ({self.sql_path}, sha256 {self.sql_sha256})")
        if self.sql_note:
            out.append(f"  note: {self.sql_note}")
        if self.inputs:
            out.append("  inputs:")
            for i in self.inputs:
                where = f", effective_from {i.effective_from}" if i.effective_from else ""
                who = f", owner {i.owner}" if i.owner else ""
                out.append(
                    f"    {i.name} = {decimal_text(i.value)} {i.unit or ''}".rstrip()
                    + f"  [{i.source_type}: {i.source_ref}{where}{who}]"
                )
                if i.sql_sha256:
                    out.append(f"      sql: {i.sql_name} sha256 {i.sql_sha256}")
                if i.note:
                    out.append(f"      {i.note}")
                if len(i.rows):
                    out.append(_indent(i.rows.head(10).to_string(index=False), 6))
        if self.lines:
            out.append("  lines:")
            for line in self.lines:
                when = f" {line.week_start}" if line.week_start else f" ({line.weeks} weeks)"
                out.append(
                    f"    {line.category:<8} {line.line_id:<22}{when} {decimal_text(line.amount)}"
                )
        if sql:
            for name, text in [
                (self.sql_name, self.sql),
                *((i.sql_name, i.sql) for i in self.inputs),
            ]:
                if text:
                    out += [f"-- {name}", text.rstrip()]
        return "\n".join(out)


def trace(
    con: duckdb.DuckDBPyConnection,
    line_id: str | None = None,
    week: dt.date | None = None,
    figure: str | None = None,
    period: Period = None,
    *,
    sample: int = EVENT_SAMPLE,
) -> Trace:
    """The working of one figure (see the module doc); raises :class:`TraceError`."""
    start, end = _bounds(period)
    if line_id is not None and week is not None:
        return _line_week(con, line_id, week, sample)
    if line_id is not None:
        return _line_period(con, line_id, start, end)
    if figure is not None:
        return _total(con, figure, start, end)
    raise TraceError("say what to trace: line_id and week, line_id and period, or a figure")


# -- one line, one week ----------------------------------------------------------------------


def _line_week(con: duckdb.DuckDBPyConnection, line_id: str, week: dt.date, sample: int) -> Trace:
    entries = read_ledger(con, week, week)
    entry = next((e for e in entries if e.line_id == line_id), None)
    if entry is None:
        lines = ", ".join(sorted(e.line_id for e in entries)) or "none"
        raise TraceError(
            f"no ledger row for line {line_id!r} in week {week.isoformat()}; lines that week: {lines}"
        )
    roi_sql = _sql_for(con, f"roi.{line_id}")
    row = _frame(con, f'select * from roi."{line_id}" where week_start = ?', [week])
    inputs = tuple(_traced_input(con, entry, i, sample) for i in entry.inputs)
    return Trace(
        figure="line_week",
        label=f"{entry.title} ({entry.line_id}, {entry.category}), week {week.isoformat()}",
        start=week,
        end=week,
        formula=entry.formula,
        formula_filled=entry.formula_filled,
        value=entry.amount,
        currency=entry.currency,
        inputs=inputs,
        lines=(),
        rows=row,
        sql_name=f"roi.{line_id}",
        sql_path=roi_sql.path,
        sql_sha256=roi_sql.sha256,
        sql=roi_sql.text,
        sql_note=roi_sql.note,
    )


def _traced_input(
    con: duckdb.DuckDBPyConnection, entry: LedgerEntry, i: LedgerInput, sample: int
) -> TraceInput:
    week = entry.week_start
    note: str | None = None
    if i.source_type == "metric":
        name = i.source_ref.removeprefix("metrics.").split(".", 1)[0]
        sql_name = f"metrics.{name}"
        rows = _frame(con, f'select * from metrics."{name}" where week_start = ?', [week])
    elif i.source_type == "assumption":
        sql_name = SOURCE_OBJECT["assumption"]
        rows = _frame(
            con,
            "select * from staging.assumptions where key = ? order by effective_from",
            [i.source_ref],
        )
        note = _assumption_note(con, i)
    elif i.source_type == "cost_rows":
        sql_name = SOURCE_OBJECT["cost_rows"]
        category = _between(i.source_ref, r"\[([^\]]+)\]")
        rows = _frame(
            con,
            "select w.cost_id, w.category, w.week_start, w.days_in_week, w.days_in_period, "
            "w.amount as week_amount, c.period_start, c.period_end, c.amount as cost_amount, "
            "w.currency, w.vendor, w.invoice_ref from staging.cost_weeks as w "
            "inner join staging.costs as c on c.cost_id = w.cost_id "
            "where w.category = ? and w.week_start = ? order by w.cost_id",
            [category, week],
        )
        note = (
            f"{len(rows)} cost line{'s' if len(rows) != 1 else ''}, each spread over its period "
            "by calendar day in whole cents; week_amount adds up to the input"
        )
    elif i.source_type == "events":
        sql_name = SOURCE_OBJECT["events"]
        column = _between(i.source_ref, r"sum\((\w+)\)") or "cost_usd"
        rows = _frame(
            con,
            f'select event_id, occurred_at, model_version, segment, action_tier, "{column}" '
            f"from staging.ai_events where week_start = ? order by event_id limit {int(sample)}",
            [week],
        )
        note = f"{i.source_ref}; the first {len(rows)} by event_id are shown"
    else:
        sql_name, rows = None, pd.DataFrame()
    text = _sql_for(con, sql_name) if sql_name else _Sql(None, None, None, None)
    return TraceInput(
        name=i.name,
        value=i.value,
        unit=i.unit,
        source_type=i.source_type,
        source_ref=i.source_ref,
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
        found = _fetch(
            con,
            "select s.origin, s.load_id, r.changed_by, r.changed_at, r.why, r.old_value::varchar, "
            "r.source_file, r.line from staging.assumptions as s "
            "left join raw.assumption_register as r "
            "on r.load_id = s.load_id and r.key = s.key and r.effective_from = s.effective_from "
            "where s.key = ? and s.effective_from = ?",
            [i.source_ref, i.effective_from],
        )
    except duckdb.Error:  # a snapshot built before the register was merged
        found = _fetch(
            con,
            "select 'ingest', load_id, null, null, null, null, null, null from staging.assumptions "
            "where key = ? and effective_from = ?",
            [i.source_ref, i.effective_from],
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


# -- a line over a period, and totals --------------------------------------------------------


def _line_period(
    con: duckdb.DuckDBPyConnection, line_id: str, start: dt.date | None, end: dt.date | None
) -> Trace:
    entries = read_ledger(con, start, end, line_id)
    if not entries:
        raise TraceError(f"no ledger rows for line {line_id!r} in {_span(start, end)}")
    total = sum((e.amount for e in entries), Decimal(0))
    roi_sql = _sql_for(con, f"roi.{line_id}")
    first = entries[0]
    return Trace(
        figure="line",
        label=f"{first.title} ({line_id}, {first.category}), {_span(start, end)}",
        start=start,
        end=end,
        formula=f"sum of {line_id} over {len(entries)} weeks ({first.formula} each week)",
        formula_filled=" + ".join(decimal_text(e.amount) for e in entries),
        value=total,
        currency=first.currency,
        inputs=(),
        lines=tuple(
            TraceLine(e.line_id, e.category, e.title, e.amount, 1, e.week_start) for e in entries
        ),
        rows=_ledger_frame(entries),
        sql_name=f"roi.{line_id}",
        sql_path=roi_sql.path,
        sql_sha256=roi_sql.sha256,
        sql=roi_sql.text,
        sql_note=roi_sql.note,
    )


def _total(
    con: duckdb.DuckDBPyConnection, figure: str, start: dt.date | None, end: dt.date | None
) -> Trace:
    if figure not in FIGURES:
        raise TraceError(f"unknown figure {figure!r}; use one of {', '.join(FIGURES)}")
    if figure == "cumulative_net":
        start = None  # inception to date
    if figure == "run_rate_annualised":
        summary = summarise(con, start, end)
        if not summary.run_rate_weeks:
            raise TraceError(f"no run rate in {_span(start, end)}: fewer than 4 complete weeks")
        start, end = summary.run_rate_weeks[0], summary.run_rate_weeks[-1]
    entries = read_ledger(con, start, end)
    if not entries:
        raise TraceError(f"no ledger rows in {_span(start, end)}")
    currency = entries[0].currency
    lines = _line_subtotals(entries)
    benefits = sum((t.amount for t in lines if t.category == "benefit"), Decimal(0))
    costs = sum((t.amount for t in lines if t.category == "cost"), Decimal(0))
    span = _span(start, end)
    if figure in ("total_benefits", "total_costs"):
        category = "benefit" if figure == "total_benefits" else "cost"
        chosen = [t for t in lines if t.category == category]
        formula = " + ".join(t.line_id for t in chosen) or "0"
        value: Decimal | None = sum((t.amount for t in chosen), Decimal(0))
        inputs = tuple(_line_input(con, t, start, end, currency) for t in chosen)
        filled = " + ".join(decimal_text(t.amount) for t in chosen) or "0"
        return Trace(
            figure=figure,
            label=f"{figure} {span}",
            start=start,
            end=end,
            formula=formula,
            formula_filled=filled,
            value=value,
            currency=currency,
            inputs=inputs,
            lines=tuple(chosen),
            rows=_ledger_frame([e for e in entries if e.category == category]),
        )
    text = {
        "net_value": "total_benefits - total_costs",
        "cumulative_net": "total_benefits - total_costs",
        "run_rate_annualised": "(total_benefits - total_costs) * 52 / 4",
        "roi": "(total_benefits - total_costs) / total_costs",
    }[figure]
    parsed = Formula.parse(text)
    values = {"total_benefits": benefits, "total_costs": costs}
    # ROI divides by the costs: None (n/a) when there are none, as in the summary
    value = ratio(benefits - costs, costs) if figure == "roi" else parsed.evaluate(values)
    totals = tuple(
        TraceInput(
            name=name,
            value=values[name],
            unit=currency,
            source_type="ledger",
            source_ref=f"main.roi_ledger: sum of {category} lines, {span}",
            sql_sha256=None,
            effective_from=None,
            owner=None,
            note=", ".join(t.line_id for t in lines if t.category == category),
        )
        for name, category in (("total_benefits", "benefit"), ("total_costs", "cost"))
    )
    label = {
        "cumulative_net": f"cumulative net, inception to {end or 'date'}",
        "run_rate_annualised": f"annualised run rate (net) from the 4 complete {span}",
    }.get(figure, f"{figure} {span}")
    return Trace(
        figure=figure,
        label=label,
        start=start,
        end=end,
        formula=parsed.text,
        formula_filled=parsed.filled({k: decimal_text(v) for k, v in values.items()}),
        value=value,
        currency=currency,
        inputs=totals,
        lines=lines,
        rows=_ledger_frame(entries),
    )


def _line_input(
    con: duckdb.DuckDBPyConnection,
    t: TraceLine,
    start: dt.date | None,
    end: dt.date | None,
    currency: str,
) -> TraceInput:
    sql = _sql_for(con, f"roi.{t.line_id}")
    return TraceInput(
        name=t.line_id,
        value=t.amount,
        unit=currency,
        source_type="ledger",
        source_ref=f"main.roi_ledger: line {t.line_id}, {t.weeks} weeks, {_span(start, end)}",
        sql_sha256=sql.sha256,
        effective_from=None,
        owner=None,
        sql_name=f"roi.{t.line_id}",
        sql=sql.text,
        note=sql.note,
    )


def _line_subtotals(entries: Sequence[LedgerEntry]) -> tuple[TraceLine, ...]:
    totals: dict[str, TraceLine] = {}
    for e in entries:
        t = totals.get(e.line_id)
        totals[e.line_id] = TraceLine(
            e.line_id,
            e.category,
            e.title,
            (t.amount if t else Decimal(0)) + e.amount,
            (t.weeks if t else 0) + 1,
        )
    order = {"benefit": 0, "cost": 1}
    return tuple(sorted(totals.values(), key=lambda t: (order.get(t.category, 2), t.line_id)))


# -- SQL text and helpers --------------------------------------------------------------------


@dataclass(frozen=True)
class _Sql:
    text: str | None
    path: str | None
    sha256: str | None
    note: str | None


def _sql_for(con: duckdb.DuckDBPyConnection, qualified: str) -> _Sql:
    """The SQL text of ``qualified`` the snapshot was built with (see the module doc)."""
    try:
        found = _fetch(
            con, "select sql, path, sql_sha256 from main.roi_sql where name = ?", [qualified]
        )
    except duckdb.CatalogException:
        found = []
    if found:
        text, path, sha = found[0]
        return _Sql(text, path, sha, None)
    schema, name = qualified.split(".", 1)
    kind = {"staging": "staging", "metrics": "metric", "roi": "roi"}.get(schema)
    try:
        objects = _fetch(
            con,
            "select path, sql_sha256 from main.build_objects where name = ? and kind = ?",
            [name, kind],
        )
    except duckdb.CatalogException:
        objects = []
    if not objects:
        return _Sql(None, None, None, f"no SQL recorded for {qualified} in this snapshot")
    path, sha = objects[0]
    try:
        data = Path(path).read_bytes()
    except OSError:
        return _Sql(None, path, sha, f"{path} cannot be read; the snapshot recorded sha256 {sha}")
    if hashlib.sha256(data).hexdigest() != sha:
        return _Sql(
            data.decode("utf-8", "replace"),
            path,
            sha,
            f"{path} has changed since this snapshot was built (its sha256 differs): the text "
            "shown is today's file, not the one the figures were built with",
        )
    return _Sql(data.decode("utf-8", "replace"), path, sha, None)


def _bounds(period: Period) -> tuple[dt.date | None, dt.date | None]:
    if period is None:
        return None, None
    if isinstance(period, str):
        return period_bounds(period)
    start, end = period
    return start, end


def _span(start: dt.date | None, end: dt.date | None) -> str:
    if start is None and end is None:
        return "all weeks"
    return f"weeks {start or '...'} .. {end or '...'}"


def _between(text: str, pattern: str) -> str | None:
    m = re.search(pattern, text)
    return m.group(1) if m else None


def _ledger_frame(entries: Sequence[LedgerEntry]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "week_start": e.week_start,
                "line_id": e.line_id,
                "category": e.category,
                "formula_filled": e.formula_filled,
                "amount": amount_text(e.amount),
                "display": display(e.amount),
            }
            for e in entries
        ]
    )


def _frame(con: duckdb.DuckDBPyConnection, sql: str, args: Sequence[object]) -> pd.DataFrame:
    cur = con.cursor()
    try:
        return cur.execute(sql, list(args)).df()
    except duckdb.CatalogException:
        return pd.DataFrame()
    finally:
        cur.close()


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, args: Sequence[object] | None = None) -> list:
    cur = con.cursor()
    try:
        return cur.execute(sql, list(args or [])).fetchall()
    finally:
        cur.close()


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line for line in text.splitlines())
