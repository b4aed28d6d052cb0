"""The ROI ledger as a workbook finance can recompute in their own spreadsheet tool.

Sheet ``Inputs``: one row per line and week with every input value in a visible number cell,
and the amount as a live formula over those cells (written from the line's formula with
:meth:`outcomes.core.formula.Formula.excel`). Sheet ``Summary``: total benefits, total costs, net
value, ROI (= net / costs), a weekly table with the cumulative net value, the payback week and
a total per line, all live formulas (``SUMIFS``...) over the amount cells. Sheet ``Sources``:
where each input came from.

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

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from outcomes.core.formula import Formula
from outcomes.roi.ledger import LedgerRow, sort_rows

FIXED_CREATED = dt.datetime(2000, 1, 1)
INPUT_SHEET = "Inputs"
SUMMARY_SHEET = "Summary"
SOURCES_SHEET = "Sources"
FIXED_COLUMNS = (
    "week_start",
    "line_id",
    "category",
    "title",
    "formula",
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
    amounts: dict[tuple[dt.date, str], str] = field(default_factory=dict)
    inputs: dict[tuple[dt.date, str, str], str] = field(default_factory=dict)
    totals: dict[str, str] = field(default_factory=dict)  # benefits, costs, net, roi, payback
    weekly: dict[dt.date, dict[str, str]] = field(default_factory=dict)  # benefits ... cumulative
    lines: dict[str, str] = field(default_factory=dict)  # total per line_id


def write_ledger_xlsx(
    ledger_rows: Sequence[LedgerRow], path: Path, summary_period_label: str
) -> LedgerWorkbook:
    """Write the workbook; return where each figure is.

    >>> import tempfile
    >>> from outcomes.roi.ledger import LedgerInput
    >>> row = LedgerRow(dt.date(2026, 1, 5), "time_saved", "benefit", "Time saved",
    ...     "hours * rate", "10 * 62.5", (LedgerInput("hours", "10"), LedgerInput("rate", "62.5")),
    ...     Decimal("625"), "USD")
    >>> book = write_ledger_xlsx([row], Path(tempfile.mkdtemp()) / "l.xlsx", "2026-01")
    >>> book.amounts[(dt.date(2026, 1, 5), "time_saved")], book.totals["net"]
    ('Inputs!F2', 'Summary!B6')
    """
    rows = sort_rows(ledger_rows)
    if not rows:
        raise ValueError("no ledger rows to write")
    path = Path(path)
    book = LedgerWorkbook(path)
    wb = xlsxwriter.Workbook(str(path))
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
        inputs_ws.write_string(i, 1, row.line_id)
        inputs_ws.write_string(i, 2, row.category)
        inputs_ws.write_string(i, 3, row.title)
        inputs_ws.write_string(i, 4, row.formula)
        cells: dict[str, str] = {}
        for k, item in enumerate(row.inputs):
            col = FIRST_INPUT_COL + 2 * k
            inputs_ws.write_string(i, col, item.name)
            inputs_ws.write_number(i, col + 1, float(item.decimal), fmt_number)
            cells[item.name] = xl_rowcol_to_cell(i, col + 1)
            book.inputs[(row.week_start, row.line_id, item.name)] = (
                f"{INPUT_SHEET}!{cells[item.name]}"
            )
        excel = Formula.parse(row.formula).excel(cells)
        inputs_ws.write_formula(i, AMOUNT_COL, f"={excel}", fmt_money)
        inputs_ws.write_string(i, AMOUNT_COL + 1, _plain(row.amount))
        book.amounts[row.key] = f"{INPUT_SHEET}!{xl_rowcol_to_cell(i, AMOUNT_COL)}"
    inputs_ws.set_column(0, 0, 11)
    inputs_ws.set_column(1, 4, 22)
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
    labels = [
        (
            "benefits",
            "Total benefits",
            f'=SUMIFS({amounts},{column("category")},"benefit")',
            fmt_money,
        ),
        ("costs", "Total costs", f'=SUMIFS({amounts},{column("category")},"cost")', fmt_money),
        ("net", "Net value (benefits - costs)", "=B4-B5", fmt_money),
        ("roi", "ROI (net / costs)", '=IF(B5=0,"",B6/B5)', fmt_pct),
    ]
    for offset, (key, label, formula, fmt) in enumerate(labels):
        r = 3 + offset
        s.write_string(r, 0, label)
        s.write_formula(r, 1, formula, fmt)
        book.totals[key] = f"{SUMMARY_SHEET}!B{r + 1}"

    weeks = sorted({r.week_start for r in rows})
    head = 10  # 0-based row of the weekly table header
    first, final = head + 2, head + 1 + len(weeks)  # 1-based rows of the first/last week
    s.write_string(7, 0, "Payback week (first week with cumulative net >= 0)")
    cumulative = f"$E${first}:$E${final}"
    week_range = f"$A${first}:$A${final}"
    s.write_formula(
        7,
        1,
        f'=IF(COUNTIF({cumulative},">=0")=0,"not reached",MINIFS({week_range},{cumulative},">=0"))',
        fmt_date,
    )
    book.totals["payback"] = f"{SUMMARY_SHEET}!B8"
    s.write_row(head, 0, ["Week", "Benefits", "Costs", "Net", "Cumulative net"], fmt_bold)
    for k, week in enumerate(weeks):
        r = head + 1 + k
        n = r + 1  # 1-based
        s.write_datetime(r, 0, _datetime(week), fmt_date)
        for c, category in ((1, "benefit"), (2, "cost")):
            s.write_formula(
                r,
                c,
                f'=SUMIFS({amounts},{column("category")},"{category}",{column("week_start")},$A{n})',
                fmt_money,
            )
        s.write_formula(r, 3, f"=B{n}-C{n}", fmt_money)
        s.write_formula(r, 4, f"=D{n}" if k == 0 else f"=E{n - 1}+D{n}", fmt_money)
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
        s.write_formula(r, 2, f"=SUMIFS({amounts},{column('line_id')},$A{r + 1})", fmt_money)
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


def workbook_bytes(ledger_rows: Sequence[LedgerRow], summary_period_label: str) -> bytes:
    """The bytes of :func:`write_ledger_xlsx`'s workbook (written in a temporary folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.xlsx"
        write_ledger_xlsx(ledger_rows, path, summary_period_label)
        return path.read_bytes()


def _datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _plain(amount: Decimal) -> str:
    return f"{amount:f}"


def _col_letter(index: int) -> str:
    return xl_rowcol_to_cell(0, index, col_abs=False).rstrip("0123456789")
