"""The ROI ledger as a workbook finance can recompute in their own spreadsheet tool.

Sheet ``Inputs``: one row per line and week with every input value in a visible number cell,
and the amount as a live formula over those cells (written from the line's formula with
:meth:`outcomes.core.formula.Formula.excel`). Sheet ``Summary``: total benefits, total costs, net
value, ROI (= net / costs), the opening balance (the cumulative net before the period, from
the ledger's first week), a weekly table with the cumulative net value carried from that
balance, the payback week (which may lie before the period, as the product counts it) and a
total per line, all live formulas (``SUMIFS``...) over the amount cells. Sheet ``Sources``:
where each input came from.

Every formula cell carries its value, computed here from the exact amounts, so a viewer that
does not recalculate reads the same figures; functions newer than Excel 2007 (``MINIFS``) are
written with their ``_xlfn.`` prefix, without which Excel shows ``#NAME?``.

Precision: spreadsheet cells are IEEE doubles (about 15 significant digits), so the workbook
recomputes the ledger to the cent, not to its 10 decimal places; the exact amounts are in
``ledger.csv`` (and, as text, in the ``ledger amount (exact)`` column). Bytes are
deterministic: the document's creation date is fixed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from outcomes.core.formula import Formula
from outcomes.roi.ledger import LEDGER_COLUMNS, LedgerRow, read_ledger, sort_rows
from outcomes.roi.summary import summarise

FIXED_CREATED = dt.datetime(2000, 1, 1)
EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of a spreadsheet's date serial numbers
INPUT_SHEET = "Inputs"
SUMMARY_SHEET = "Summary"
SOURCES_SHEET = "Sources"
# the ledger's columns up to its formula, then the amount as a number and as the exact text
FIXED_COLUMNS = (
    *LEDGER_COLUMNS[: LEDGER_COLUMNS.index("formula") + 1],
    "amount",
    "ledger amount (exact)",
)
AMOUNT_COL = FIXED_COLUMNS.index("amount")
FIRST_INPUT_COL = len(FIXED_COLUMNS)
PRECISION_NOTE = (
    "Cells are spreadsheet doubles: figures recompute to the cent. The exact decimal amounts "
    "(10 places) are in ledger.csv and in the 'ledger amount (exact)' column."
)


@dataclass
class LedgerWorkbook:
    """Where the figures are, as ``Sheet!A1`` references (for checks and recomputation)."""

    path: Path
    amounts: dict[tuple[dt.date, str, str], str] = field(default_factory=dict)  # week, system, line
    inputs: dict[tuple[dt.date, str, str, str], str] = field(default_factory=dict)
    totals: dict[str, str] = field(default_factory=dict)  # benefits, costs, net, roi, payback
    weekly: dict[dt.date, dict[str, str]] = field(default_factory=dict)  # benefits ... cumulative
    lines: dict[str, str] = field(default_factory=dict)  # total per line_id
    opening: str = ""  # the opening balance cell (an input: the ledger before the period)


def write_ledger_xlsx(
    ledger_rows: Sequence[LedgerRow],
    path: Path,
    summary_period_label: str,
    *,
    opening_balance: Decimal = Decimal(0),
    paid_back_before: dt.date | None = None,
) -> LedgerWorkbook:
    """Write the workbook; return where each figure is.

    ``opening_balance``: the cumulative net of the ledger weeks before the period;
    ``paid_back_before``: the payback week when it lies before the period (both as
    :func:`outcomes.roi.summary.summarise` gives them), so cumulative and payback read as in
    the product.

    >>> import tempfile
    >>> from outcomes.roi.ledger import LedgerInput
    >>> row = LedgerRow(dt.date(2026, 1, 5), "time_saved", "benefit", "Time saved",
    ...     "hours * rate", "10 * 62.5", (LedgerInput("hours", "10"), LedgerInput("rate", "62.5")),
    ...     Decimal("625"), "USD", "alpha")
    >>> book = write_ledger_xlsx([row], Path(tempfile.mkdtemp()) / "l.xlsx", "2026-01")
    >>> book.amounts[(dt.date(2026, 1, 5), "alpha", "time_saved")], book.totals["net"]
    ('Inputs!G2', 'Summary!B6')
    """
    rows = sort_rows(ledger_rows)
    if not rows:
        raise ValueError("no ledger rows to write")
    path = Path(path)
    book = LedgerWorkbook(path)
    wb = xlsxwriter.Workbook(str(path), {"use_future_functions": True})
    wb.set_properties(
        {
            "title": f"ROI ledger {summary_period_label}",
            "author": "Outcomes",
            "created": FIXED_CREATED,
        }
    )
    fmt_date = wb.add_format({"num_format": "yyyy-mm-dd"})
    fmt_money = wb.add_format({"num_format": "#,##0.00"})
    fmt_number = wb.add_format({"num_format": "General"})
    fmt_pct = wb.add_format({"num_format": "0.00%"})
    fmt_bold = wb.add_format({"bold": True})

    inputs_ws = wb.add_worksheet(INPUT_SHEET)
    summary_ws = wb.add_worksheet(SUMMARY_SHEET)
    sources_ws = wb.add_worksheet(SOURCES_SHEET)

    width = max(len(r.inputs) for r in rows)
    header = list(FIXED_COLUMNS)
    for k in range(1, width + 1):
        header += [f"input {k}", f"value {k}"]
    inputs_ws.write_row(0, 0, header, fmt_bold)
    inputs_ws.freeze_panes(1, 2)
    for i, row in enumerate(rows, start=1):
        inputs_ws.write_datetime(i, 0, _datetime(row.week_start), fmt_date)
        inputs_ws.write_string(i, 1, row.system)
        inputs_ws.write_string(i, 2, row.line_id)
        inputs_ws.write_string(i, 3, row.category)
        inputs_ws.write_string(i, 4, row.title)
        inputs_ws.write_string(i, 5, row.formula)
        cells: dict[str, str] = {}
        for k, item in enumerate(row.inputs):
            col = FIRST_INPUT_COL + 2 * k
            inputs_ws.write_string(i, col, item.name)
            inputs_ws.write_number(i, col + 1, float(item.decimal), fmt_number)
            cells[item.name] = xl_rowcol_to_cell(i, col + 1)
            book.inputs[(row.week_start, row.system, row.line_id, item.name)] = (
                f"{INPUT_SHEET}!{cells[item.name]}"
            )
        excel = Formula.parse(row.formula).excel(cells)
        inputs_ws.write_formula(i, AMOUNT_COL, f"={excel}", fmt_money, float(row.amount))
        inputs_ws.write_string(i, AMOUNT_COL + 1, _plain(row.amount))
        book.amounts[row.key] = f"{INPUT_SHEET}!{xl_rowcol_to_cell(i, AMOUNT_COL)}"
    inputs_ws.set_column(0, 0, 11)
    inputs_ws.set_column(1, 5, 22)
    inputs_ws.set_column(AMOUNT_COL, AMOUNT_COL + 1, 18)

    last = len(rows) + 1  # 1-based row number of the last ledger row
    letters = {
        name: _col_letter(FIXED_COLUMNS.index(name))
        for name in ("week_start", "line_id", "category")
    }
    amounts = f"{INPUT_SHEET}!${_col_letter(AMOUNT_COL)}$2:${_col_letter(AMOUNT_COL)}${last}"

    def column(name: str) -> str:
        return f"{INPUT_SHEET}!${letters[name]}$2:${letters[name]}${last}"

    s = summary_ws
    s.set_column(0, 0, 26)
    s.set_column(1, 5, 16)
    s.write_string(0, 0, f"ROI ledger {summary_period_label}", fmt_bold)
    s.write_string(1, 0, PRECISION_NOTE)
    figures = _figures(rows, opening_balance, paid_back_before)
    currency = rows[0].currency
    labels = [
        (
            "benefits",
            f"Total benefits (actual, {currency})",
            f'=SUMIFS({amounts},{column("category")},"benefit")',
            fmt_money,
        ),
        (
            "costs",
            f"Total costs (actual, {currency})",
            f'=SUMIFS({amounts},{column("category")},"cost")',
            fmt_money,
        ),
        ("net", f"Net value (benefits - costs, {currency})", "=B4-B5", fmt_money),
        ("roi", "ROI (net / costs)", '=IF(B5=0,"",B6/B5)', fmt_pct),
    ]
    for offset, (key, label, formula, fmt) in enumerate(labels):
        r = 3 + offset
        s.write_string(r, 0, label)
        s.write_formula(r, 1, formula, fmt, figures[key])
        book.totals[key] = f"{SUMMARY_SHEET}!B{r + 1}"

    weeks = sorted({r.week_start for r in rows})
    head = 12  # 0-based row of the weekly table header
    first, final = head + 2, head + 1 + len(weeks)  # 1-based rows of the first/last week
    s.write_string(8, 0, f"Opening balance (cumulative net before the period, {currency})")
    s.write_number(8, 1, float(opening_balance), fmt_money)
    book.opening = f"{SUMMARY_SHEET}!B9"
    s.write_string(9, 0, "Paid back before the period (week)")
    if paid_back_before is None:
        s.write_string(9, 1, "no")
    else:
        s.write_datetime(9, 1, _datetime(paid_back_before), fmt_date)
    s.write_string(7, 0, "Payback week (first week with cumulative net >= 0, from inception)")
    cumulative = f"$E${first}:$E${final}"
    week_range = f"$A${first}:$A${final}"
    s.write_formula(
        7,
        1,
        f'=IF(ISNUMBER(B10),B10,IF(COUNTIF({cumulative},">=0")=0,"not reached",'
        f'MINIFS({week_range},{cumulative},">=0")))',
        fmt_date,
        figures["payback"],
    )
    book.totals["payback"] = f"{SUMMARY_SHEET}!B8"
    s.write_row(
        head,
        0,
        ["Week", "Benefits", "Costs", "Net", "Cumulative net (from inception)"],
        fmt_bold,
    )
    for k, week in enumerate(weeks):
        r = head + 1 + k
        n = r + 1  # 1-based
        s.write_datetime(r, 0, _datetime(week), fmt_date)
        cached = figures["weekly"][week]
        for c, category in ((1, "benefits"), (2, "costs")):
            s.write_formula(
                r,
                c,
                f'=SUMIFS({amounts},{column("category")},"{category[:-1]}",'
                f"{column('week_start')},$A{n})",
                fmt_money,
                cached[category],
            )
        s.write_formula(r, 3, f"=B{n}-C{n}", fmt_money, cached["net"])
        s.write_formula(
            r, 4, f"=$B$9+D{n}" if k == 0 else f"=E{n - 1}+D{n}", fmt_money, cached["cumulative"]
        )
        book.weekly[week] = {
            name: f"{SUMMARY_SHEET}!{letter}{n}"
            for name, letter in zip(("benefits", "costs", "net", "cumulative"), "BCDE", strict=True)
        }

    lines_head = final + 1  # 0-based row after the weekly table plus a blank row
    s.write_row(lines_head, 0, ["Line", "Category", "Total"], fmt_bold)
    line_ids = sorted({(r.line_id, r.category) for r in rows})
    for k, (line_id, category) in enumerate(line_ids):
        r = lines_head + 1 + k
        s.write_string(r, 0, line_id)
        s.write_string(r, 1, category)
        s.write_formula(
            r,
            2,
            f"=SUMIFS({amounts},{column('line_id')},$A{r + 1})",
            fmt_money,
            figures["lines"][line_id],
        )
        book.lines[line_id] = f"{SUMMARY_SHEET}!C{r + 1}"

    sources_ws.write_row(
        0,
        0,
        [
            "week_start",
            "line_id",
            "input",
            "value",
            "unit",
            "source_type",
            "source_ref",
            "effective_from",
            "sql_sha256",
            "owner",
        ],
        fmt_bold,
    )
    r = 1
    for row in rows:
        for item in row.inputs:
            sources_ws.write_datetime(r, 0, _datetime(row.week_start), fmt_date)
            values = [
                row.line_id,
                item.name,
                item.value,
                item.unit,
                item.source_type,
                item.source_ref,
                item.effective_from,
                item.sql_sha256,
                item.owner,
            ]
            for c, v in enumerate(values, start=1):
                sources_ws.write_string(r, c, v or "")
            r += 1
    wb.close()
    return book


def workbook_bytes(
    ledger_rows: Sequence[LedgerRow],
    summary_period_label: str,
    *,
    opening_balance: Decimal = Decimal(0),
    paid_back_before: dt.date | None = None,
) -> bytes:
    """The bytes of :func:`write_ledger_xlsx`'s workbook (written in a temporary folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.xlsx"
        write_ledger_xlsx(
            ledger_rows,
            path,
            summary_period_label,
            opening_balance=opening_balance,
            paid_back_before=paid_back_before,
        )
        return path.read_bytes()


def period_workbook_bytes(
    con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, label: str
) -> bytes:
    """The workbook of ``start..end`` with the opening balance and an earlier payback read
    from the ledger before ``start`` (:func:`outcomes.roi.summary.summarise`)."""
    history = read_ledger(con, None, end)
    position = summarise(con, start, end, ledger=history)
    before = position.payback_week
    return workbook_bytes(
        [r for r in history if r.week_start >= start],
        label,
        opening_balance=position.opening_cumulative_net,
        paid_back_before=before if before is not None and before < start else None,
    )


def _figures(rows: Sequence[LedgerRow], opening: Decimal, paid_back_before: dt.date | None) -> dict:
    """The value of every Summary formula, from the exact amounts (the cached cell values)."""
    benefits = sum((r.amount for r in rows if r.category == "benefit"), Decimal(0))
    costs = sum((r.amount for r in rows if r.category == "cost"), Decimal(0))
    weekly: dict[dt.date, dict[str, float]] = {}
    cumulative, payback = opening, paid_back_before
    for week in sorted({r.week_start for r in rows}):
        b = sum(
            (r.amount for r in rows if r.key[0] == week and r.category == "benefit"), Decimal(0)
        )
        c = sum((r.amount for r in rows if r.key[0] == week and r.category == "cost"), Decimal(0))
        cumulative += b - c
        if payback is None and cumulative >= 0:
            payback = week
        weekly[week] = {
            "benefits": float(b),
            "costs": float(c),
            "net": float(b - c),
            "cumulative": float(cumulative),
        }
    lines: dict[str, Decimal] = {}
    for r in rows:
        lines[r.line_id] = lines.get(r.line_id, Decimal(0)) + r.amount
    return {
        "benefits": float(benefits),
        "costs": float(costs),
        "net": float(benefits - costs),
        "roi": float((benefits - costs) / costs) if costs else "",
        "payback": (payback - EXCEL_EPOCH).days if payback else "not reached",
        "weekly": weekly,
        "lines": {k: float(v) for k, v in lines.items()},
    }


def _datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _plain(amount: Decimal) -> str:
    return f"{amount:f}"


def _col_letter(index: int) -> str:
    return xl_rowcol_to_cell(0, index, col_abs=False).rstrip("0123456789")
