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

Each of one AI system (``system``) or of the company (``system`` None: the sum over systems;
a line-week of the company lists each system's amount and traces the inputs of one system
only when it is the only one that week).

SQL text comes from the snapshot (``main.roi_sql``, written by the build with the ledger), so it
is the text the figures were built with; for an older snapshot it is read from the file named
in ``main.build_objects`` and flagged when the file has changed since (sha256 differs).

The app's "show working" calls :func:`trace` and shows :attr:`Trace.inputs`, :attr:`Trace.sql`
and the DataFrames; ``outcomes roi trace`` prints :meth:`Trace.render`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pandas as pd

from outcomes.core.formula import Formula
from outcomes.core.periods import parse_period
from outcomes.errors import OutcomesError
from outcomes.roi.fetch import fetch_frame
from outcomes.roi.ledger import LedgerRow, amount_text, decimal_text, display, read_ledger
from outcomes.roi.summary import summarise
from outcomes.roi.totals import LineTotal, line_totals, ratio
from outcomes.roi.trace_inputs import TraceInput, traced_input
from outcomes.roi.trace_sql import sql_for

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
class Trace:
    """The working of one figure: formula, numbers, inputs, lines, rows and SQL."""

    figure: str  # line_week | line | one of FIGURES
    label: str
    start: dt.date | None
    end: dt.date | None
    formula: str
    formula_filled: str
    value: Decimal | None
    currency: str
    inputs: tuple[TraceInput, ...]
    lines: tuple[LineTotal, ...]
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
    system: str | None = None,
) -> Trace:
    """The working of one figure of ``system`` (None: the company; see the module doc);
    raises :class:`TraceError`."""
    start, end = _bounds(period)
    if line_id is not None and week is not None:
        return _line_week(con, line_id, week, sample, system)
    if line_id is not None:
        return _line_period(con, line_id, start, end, system)
    if figure is not None:
        return _total(con, figure, start, end, system)
    raise TraceError("say what to trace: line_id and week, line_id and period, or a figure")


# -- one line, one week ----------------------------------------------------------------------


def _line_week(
    con: duckdb.DuckDBPyConnection, line_id: str, week: dt.date, sample: int, system: str | None
) -> Trace:
    entries = read_ledger(con, week, week, system=system)
    found = [e for e in entries if e.line_id == line_id]
    if not found:
        lines = ", ".join(sorted({e.line_id for e in entries})) or "none"
        whose = f" of system {system}" if system is not None else ""
        raise TraceError(
            f"no ledger row for line {line_id!r}{whose} in week {week.isoformat()}; lines that "
            f"week: {lines}"
        )
    systems = [e.system for e in found]
    row = fetch_frame(
        con,
        f'select * from roi."{line_id}" where week_start = ? and system in '
        f"({', '.join('?' * len(systems))}) order by system",
        [week, *systems],
    )
    if len(found) > 1:  # the company: the sum over systems
        first = found[0]
        return Trace(
            figure="line_week",
            label=f"{first.title} ({line_id}, {first.category}), week {week.isoformat()}, "
            f"all systems",
            start=week,
            end=week,
            formula=" + ".join(f"{line_id}[{s}]" for s in systems),
            formula_filled=" + ".join(decimal_text(e.amount) for e in found),
            value=sum((e.amount for e in found), Decimal(0)),
            currency=first.currency,
            inputs=(),
            lines=tuple(
                LineTotal(e.line_id, e.category, e.title, e.amount, 1, e.week_start, e.system)
                for e in found
            ),
            rows=row,
            **_line_sql(con, line_id),
        )
    (entry,) = found
    inputs = tuple(traced_input(con, entry, i, sample) for i in entry.inputs)
    return Trace(
        figure="line_week",
        label=f"{entry.title} ({entry.line_id}, {entry.category}), week {week.isoformat()}, "
        f"system {entry.system}",
        start=week,
        end=week,
        formula=entry.formula,
        formula_filled=entry.formula_filled,
        value=entry.amount,
        currency=entry.currency,
        inputs=inputs,
        lines=(),
        rows=row,
        **_line_sql(con, line_id),
    )


# -- a line over a period, and totals --------------------------------------------------------


def _line_period(
    con: duckdb.DuckDBPyConnection,
    line_id: str,
    start: dt.date | None,
    end: dt.date | None,
    system: str | None,
) -> Trace:
    entries = read_ledger(con, start, end, line_id, system)
    if not entries:
        raise TraceError(f"no ledger rows for line {line_id!r} in {_span(start, end)}")
    total = sum((e.amount for e in entries), Decimal(0))
    first = entries[0]
    weekly: dict[dt.date, Decimal] = {}
    for e in entries:  # the company's weeks: the sum over systems
        weekly[e.week_start] = weekly.get(e.week_start, Decimal(0)) + e.amount
    return Trace(
        figure="line",
        label=f"{first.title} ({line_id}, {first.category}), {_span(start, end)}"
        + (f", system {system}" if system is not None else ", all systems"),
        start=start,
        end=end,
        formula=f"sum of {line_id} over {len(weekly)} weeks ({first.formula} each week"
        + (" and system)" if system is None else ")"),
        formula_filled=" + ".join(decimal_text(v) for v in weekly.values()),
        value=total,
        currency=first.currency,
        inputs=(),
        lines=tuple(
            LineTotal(e.line_id, e.category, e.title, e.amount, 1, e.week_start, e.system)
            for e in entries
        ),
        rows=_ledger_frame(entries),
        **_line_sql(con, line_id),
    )


def _total(
    con: duckdb.DuckDBPyConnection,
    figure: str,
    start: dt.date | None,
    end: dt.date | None,
    system: str | None,
) -> Trace:
    if figure not in FIGURES:
        raise TraceError(f"unknown figure {figure!r}; use one of {', '.join(FIGURES)}")
    if figure == "cumulative_net":
        start = None  # inception to date
    if figure == "run_rate_annualised":
        summary = summarise(con, start, end, system=system)
        if not summary.run_rate_weeks:
            raise TraceError(f"no run rate in {_span(start, end)}: fewer than 4 complete weeks")
        start, end = summary.run_rate_weeks[0], summary.run_rate_weeks[-1]
    entries = read_ledger(con, start, end, system=system)
    if not entries:
        raise TraceError(f"no ledger rows in {_span(start, end)}")
    currency = entries[0].currency
    lines = line_totals(entries)
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
    t: LineTotal,
    start: dt.date | None,
    end: dt.date | None,
    currency: str,
) -> TraceInput:
    sql = sql_for(con, f"roi.{t.line_id}")
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


# -- SQL text and helpers --------------------------------------------------------------------


def _bounds(period: Period) -> tuple[dt.date | None, dt.date | None]:
    if period is None:
        return None, None
    if isinstance(period, str):
        return parse_period(period).bounds
    start, end = period
    return start, end


def _line_sql(con: duckdb.DuckDBPyConnection, line_id: str) -> dict[str, str | None]:
    """The ``sql_*`` fields of a trace of ROI line ``line_id``."""
    text = sql_for(con, f"roi.{line_id}")
    return {
        "sql_name": f"roi.{line_id}",
        "sql_path": text.path,
        "sql_sha256": text.sha256,
        "sql": text.text,
        "sql_note": text.note,
    }


def _span(start: dt.date | None, end: dt.date | None) -> str:
    if start is None and end is None:
        return "all weeks"
    return f"weeks {start or '...'} .. {end or '...'}"


def _ledger_frame(entries: Sequence[LedgerRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "week_start": e.week_start,
                "system": e.system,
                "line_id": e.line_id,
                "category": e.category,
                "formula_filled": e.formula_filled,
                "amount": amount_text(e.amount),
                "display": display(e.amount),
            }
            for e in entries
        ]
    )


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line for line in text.splitlines())
