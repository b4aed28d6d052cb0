"""The "show working" of a headline figure or of one ledger line in one week: the formula with
its numbers, every input with its source, owner and date, the SQL behind it and its rows, from
:func:`outcomes.roi.trace.trace` (ledger figures), the weekly net (payback) or the metrics
(inference cost vs budget, :mod:`.budget_projection`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.views.roi.budget_projection import projection_working
from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.app.views.roi.summaries import WindowSummaries
from outcomes.app.views.roi.working_panel import INPUT_COLUMNS, Working, dedupe, empty_working
from outcomes.core.money import money, percent
from outcomes.roi import trace
from outcomes.roi.ledger import amount_text, decimal_text
from outcomes.roi.summary import RoiSummary

# headline figure key -> the figure outcomes.roi.trace traces
TRACED = {
    "net_to_date": "cumulative_net",
    "net_period": "net_value",
    "roi": "roi",
    "run_rate": "run_rate_annualised",
}


def working(
    con: duckdb.DuckDBPyConnection, key: str, found: WindowSummaries, system: str | None = None
) -> Working:
    """The working of headline figure ``key`` (:data:`.headline.FIGURE_KEYS`) of the window
    ``found`` summarises; payback and budget are worked from ``found`` itself, the ledger
    figures traced row by row (:func:`outcomes.roi.trace.trace`)."""
    con = catalog_safe(con)
    current = found.current
    if key in TRACED:
        try:
            t = trace.trace(
                con, figure=TRACED[key], period=(current.start, current.end), system=system
            )
        except trace.TraceError as exc:
            return empty_working(key, str(exc))
        return _from_trace(con, t)
    if key == "payback":
        return payback_working(found.history)
    if key == "inference_budget":
        return projection_working(con, found.projection, current.currency, system)
    raise ValueError(f"unknown figure {key!r}")


def line_working(
    con: duckdb.DuckDBPyConnection, line_id: str, week: dt.date, system: str | None = None
) -> Working:
    """One ledger line in one week (of the company, or of AI ``system``): formula with
    numbers, every input with its source, owner and date, the SQL of the line and of each
    input, and each input's rows."""
    con = catalog_safe(con)
    t = trace.trace(con, line_id=line_id, week=week, system=system)
    w = _from_trace(con, t, line_sql=False)
    sql = [(t.sql_name or f"roi.{line_id}", t.sql or "")] if t.sql else []
    sql += [(i.sql_name, i.sql) for i in t.inputs if i.sql and i.sql_name]
    frames = []
    for i in t.inputs:
        if len(i.rows):
            frames.append(i.rows.head(20).assign(**{"(input)": i.name}).astype(str))
    rows = pd.concat(frames, ignore_index=True) if frames else t.rows
    return Working(
        title=w.title,
        formula=w.formula,
        formula_filled=w.formula_filled,
        result=w.result,
        inputs=w.inputs,
        sql=tuple(dedupe(sql)),
        rows=rows,
        rows_title="Rows behind each input (metric rows, assumption versions, cost rows, sample events)",
        notes=w.notes,
    )


def _from_trace(con: duckdb.DuckDBPyConnection, t: Any, *, line_sql: bool = True) -> Working:
    c = t.currency
    if t.value is None:
        result = "n/a"
    elif t.figure == "roi":
        result = percent(t.value, 2)
    else:
        result = f"{money(t.value, c, cents=True)} (exact {decimal_text(t.value)})"
    inputs = pd.DataFrame(
        [
            {
                "input": i.name,
                "value": decimal_text(i.value),
                "unit": i.unit or "",
                "source": i.source_type,
                "source_ref": i.source_ref,
                "owner": i.owner or "",
                "effective_from": i.effective_from or "",
                "note": i.note or "",
            }
            for i in t.inputs
        ],
        columns=INPUT_COLUMNS,
    )
    sql: list[tuple[str, str]] = []
    if t.sql:
        sql.append((t.sql_name or "sql", t.sql))
    if line_sql:
        sql += roi_sql(con, [f"roi.{line.line_id}" for line in t.lines])
    notes = tuple(n for n in (t.sql_note,) if n)
    rows = t.rows.head(50) if len(t.rows) else t.rows
    return Working(
        title=t.label,
        formula=t.formula,
        formula_filled=t.formula_filled,
        result=result,
        inputs=inputs,
        sql=tuple(dedupe(sql)),
        rows=rows,
        rows_title=f"Ledger rows behind the figure ({len(t.rows)} rows{', first 50 shown' if len(t.rows) > 50 else ''})",
        notes=notes,
    )


def roi_sql(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> list[tuple[str, str]]:
    """SQL texts the snapshot was built with (``main.roi_sql``), in ``names`` order."""
    try:
        found = dict(queries.rows(catalog_safe(con), "roi_line_sql", {"names": list(names)}))
    except duckdb.CatalogException:
        found = {}
    return [(n, found[n]) for n in names if n in found]


def payback_working(history: RoiSummary) -> Working:
    """Payback week: the cumulative net by week from the first ledger week, around the week
    it turns non-negative."""
    c = history.currency
    frame = pd.DataFrame(
        [
            {
                "week_start": w.week_start,
                "benefits": amount_text(w.benefits),
                "costs": amount_text(w.costs),
                "net": amount_text(w.net),
                "cumulative_net": amount_text(w.cumulative_net),
                "cumulative_net_display": money(w.cumulative_net, c, cents=True),
            }
            for w in history.weeks
        ]
    )
    p = history.payback_week
    if p is None:
        filled = (
            f"no week yet: cumulative net is {money(history.cumulative_net, c, cents=True)} at "
            f"{history.last_week or 'the start'}"
        )
        rows = frame.tail(8)
    else:
        idx = next(i for i, w in enumerate(history.weeks) if w.week_start == p)
        before = history.weeks[idx - 1] if idx else None
        filled = (
            f"cumulative net {money(before.cumulative_net, c, cents=True)} at {before.week_start} < 0 ≤ "
            if before
            else ""
        ) + f"{money(history.weeks[idx].cumulative_net, c, cents=True)} at {p}"
        rows = frame.iloc[max(0, idx - 4) : idx + 4]
    inputs = pd.DataFrame(
        [
            {
                "input": "weekly net value",
                "value": f"{len(history.weeks)} weeks",
                "unit": c,
                "source": "ledger",
                "source_ref": "main.roi_ledger: benefits − costs per week_start, all lines",
                "owner": "",
                "effective_from": "",
                "note": "running sum from the first ledger week",
            }
        ],
        columns=INPUT_COLUMNS,
    )
    return Working(
        title=f"payback week, inception to {history.end or history.last_week}",
        formula="payback_week = first week_start with sum(benefits − costs, first week .. week) ≥ 0",
        formula_filled=filled,
        result=f"{p:%Y-%m-%d}" if p else "not paid back yet",
        inputs=inputs,
        sql=(("main.roi_ledger (weekly net)", queries.query_text("roi_payback_week")),),
        rows=rows.reset_index(drop=True),
        rows_title="Cumulative net around the payback week",
    )
