"""The ROI page's downloads: the period's ledger (CSV, XLSX with live formulas), the audit
pack of a month or quarter, and the one-page summary (self-contained HTML, PDF).

The audit pack and the summary are generated on click, outside the page's script run, on a
connection of their own (:func:`with_snapshot`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from outcomes.app.exports.roi_onepager import OnePager, summary_html, summary_pdf
from outcomes.app.views.annotations import version_change_annotations
from outcomes.app.views.roi.headline import headline
from outcomes.app.views.roi.series import (
    cumulative,
    line_table,
    sensitivity_table,
    tornado,
    waterfall,
)
from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.app.views.roi.summaries import window_summaries
from outcomes.app.views.roi.windows import Window, ledger_calendar, previous_window
from outcomes.roi import ledger
from outcomes.roi.pack_export import export_pack
from outcomes.roi.xlsx_ledger import period_workbook_bytes
from outcomes.store import snapshot


def ledger_csv_bytes(
    con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, system: str | None = None
) -> bytes:
    """The period's ledger as CSV (contract columns, exact amounts, a cents display column),
    every system's rows or one AI ``system``'s."""
    return ledger.ledger_csv(catalog_safe(con), start, end, system=system)


def ledger_xlsx_bytes(
    con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, label: str
) -> bytes:
    """The period's ledger as a workbook with live formulas (:mod:`outcomes.roi.xlsx_ledger`)."""
    return period_workbook_bytes(catalog_safe(con), start, end, label)


def audit_pack_bytes(con: duckdb.DuckDBPyConnection, settings: Any, period: str) -> bytes:
    """The audit pack zip of a month or quarter (:func:`outcomes.roi.pack_export.export_pack`)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = export_pack(con, settings, period, Path(tmp) / f"audit-pack-{period}.zip")
        return path.read_bytes()


def onepager(con: duckdb.DuckDBPyConnection, window: Window, notes: Sequence[str] = ()) -> Any:
    """The :class:`outcomes.app.exports.roi_onepager.OnePager` of a window (figures, charts, lines, notes)."""
    cal = ledger_calendar(con)
    prior = previous_window(window, cal.anchor or window.start)
    s = window_summaries(con, window.start, window.end, prior.start, prior.end)
    current, history = s.current, s.history
    figures = headline(s, prior, window.label)
    # fixed sizes: an exported image has no container to stretch into
    charts: list[tuple[str, Any]] = [
        (
            "Cumulative value vs cumulative cost by week, payback marked",
            cumulative(history, window, version_change_annotations(con)).properties(
                width=820, height=220
            ),
        ),
        (
            "Waterfall from benefits through costs to net value",
            waterfall(current, window).properties(width=380, height=220),
        ),
    ]
    table = sensitivity_table(con, window.start, window.end)
    if len(table):
        charts.append(
            ("ROI range by assumption (tornado)", tornado(table, window).properties(width=260))
        )
    return OnePager(
        title="AI programme ROI",
        period=window.label,
        span=window.span,
        currency=current.currency,
        build_id=cal.build_id,
        as_of=f"{cal.as_of:%d %b %Y}" if cal.as_of else None,
        figures=[(f.label, f.text, f.delta, f.help) for f in figures],
        charts=charts,
        lines=[(r.line, r.category, r.amount) for r in line_table(current).itertuples()],
        notes=tuple(notes),
        comparison=f"changes against the {prior.label} ({prior.span})",
    )


def summary_bytes(
    con: duckdb.DuckDBPyConnection,
    form: str,
    kind: str,
    label: str,
    start: dt.date,
    end: dt.date,
    notes: tuple[str, ...] = (),
) -> bytes:
    """The one-page summary of a window as self-contained HTML (UTF-8, ``form="html"``) or as
    a one-page PDF (``form="pdf"``)."""
    doc = onepager(con, Window(kind, label, start, end), notes)
    if form == "html":
        return summary_html(doc).encode("utf-8")
    if form == "pdf":
        return summary_pdf(doc)
    raise ValueError(f"a one-page summary is html or pdf, not {form!r}")


def with_snapshot(settings: Any, func: Any, *args: Any) -> Any:
    """``func(connection, *args)`` on a connection of its own to the current snapshot, closed
    after: for downloads generated on click, outside the page's script run and its caches."""
    con = snapshot.open_snapshot(settings)
    try:
        return func(snapshot.snapshot_cursor(con), *args)
    finally:
        con.close()
