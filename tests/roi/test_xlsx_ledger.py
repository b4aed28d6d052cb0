"""The ledger workbook, recomputed by an independent evaluator (the `formulas` library)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import formulas
import openpyxl
import pytest

from outcomes.roi.ledger import LedgerInput, LedgerRow
from outcomes.roi.totals import ledger_totals
from outcomes.roi.xlsx_ledger import LedgerWorkbook, write_ledger_xlsx
from tests.ledgerfixtures import Fixture, ledger_rows

CENT = 0.005
EXCEL_EPOCH = dt.date(1899, 12, 30)


def fixture_rows(tmp_path: Path) -> list[LedgerRow]:
    return [LedgerRow.from_canonical(r) for r in ledger_rows(Fixture(tmp_path))]


def recompute(path: Path) -> dict[str, object]:
    """Every cell value after a full recalculation, keyed ``SHEET!A1`` (upper case)."""
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    out: dict[str, object] = {}
    for key, value in solution.items():
        sheet, _, cell = key.rpartition("!")
        if ":" in cell:
            continue
        sheet = sheet.split("]", 1)[1].strip("'")
        out[f"{sheet}!{cell}"] = value.value[0][0] if hasattr(value, "value") else value
    return out


def cell(values: dict[str, object], ref: str) -> object:
    return values[ref.upper()]


def expected_figures(rows: list[LedgerRow]) -> dict:
    totals = ledger_totals(rows)
    weeks = sorted({r.week_start for r in rows})
    weekly, cumulative, payback = {}, Decimal(0), None
    for w in weeks:
        b = sum(
            (r.amount for r in rows if r.week_start == w and r.category == "benefit"), Decimal(0)
        )
        c = sum((r.amount for r in rows if r.week_start == w and r.category == "cost"), Decimal(0))
        cumulative += b - c
        weekly[w] = {"benefits": b, "costs": c, "net": b - c, "cumulative": cumulative}
        if payback is None and cumulative >= 0:
            payback = w
    lines = {}
    for r in rows:
        lines[r.line_id] = lines.get(r.line_id, Decimal(0)) + r.amount
    return {"totals": totals, "weekly": weekly, "payback": payback, "lines": lines}


def assert_recomputes(book: LedgerWorkbook, rows: list[LedgerRow]) -> None:
    values = recompute(book.path)
    checked = 0
    for r in rows:
        got = cell(values, book.amounts[r.key])
        assert abs(float(got) - float(r.amount)) <= CENT, (r.key, got, r.amount)
        checked += 1
    want = expected_figures(rows)
    t = want["totals"]
    for name, exact in (("benefits", t.benefits), ("costs", t.costs), ("net", t.net)):
        assert abs(float(cell(values, book.totals[name])) - float(exact)) <= CENT, name
    roi = cell(values, book.totals["roi"])
    if t.roi is None:
        assert roi == ""
    else:
        assert float(roi) == pytest.approx(float(t.roi), rel=1e-12)
    for week, figures in want["weekly"].items():
        for name, exact in figures.items():
            assert abs(float(cell(values, book.weekly[week][name])) - float(exact)) <= CENT, (
                week,
                name,
            )
    for line_id, exact in want["lines"].items():
        assert abs(float(cell(values, book.lines[line_id])) - float(exact)) <= CENT, line_id
    payback = cell(values, book.totals["payback"])
    if want["payback"] is None:
        assert payback == "not reached"
    else:
        assert EXCEL_EPOCH + dt.timedelta(days=int(payback)) == want["payback"]
    assert checked == len(rows)


def test_fixture_ledger_recomputes_to_the_cent(tmp_path):
    rows = fixture_rows(tmp_path)
    book = write_ledger_xlsx(rows, tmp_path / "ledger.xlsx", "2026-01..04")
    assert len(book.amounts) == len(rows) == 68
    assert_recomputes(book, rows)


def test_payback_after_a_loss_and_not_reached(tmp_path):
    def row(day: int, line: str, category: str, amount: str) -> LedgerRow:
        return LedgerRow(
            dt.date(2026, 1, day),
            line,
            category,
            line.title(),
            "x * 1",
            f"{amount} * 1",
            (LedgerInput("x", amount, "usd", "cost_rows", "ref"),),
            Decimal(amount),
            "USD",
        )

    rows = [
        row(5, "benefit_a", "benefit", "100"),
        row(5, "cost_a", "cost", "500.10"),
        row(12, "benefit_a", "benefit", "300"),
        row(12, "cost_a", "cost", "100"),
        row(19, "benefit_a", "benefit", "400.11"),
        row(19, "cost_a", "cost", "100"),
        row(26, "benefit_a", "benefit", "0"),
        row(26, "cost_a", "cost", "50"),
    ]
    book = write_ledger_xlsx(rows, tmp_path / "a.xlsx", "2026-01")
    assert expected_figures(rows)["payback"] == dt.date(2026, 1, 19)
    assert_recomputes(book, rows)
    losing = [r for r in rows if r.line_id == "cost_a" or r.week_start.day == 5]
    assert expected_figures(losing)["payback"] is None
    assert_recomputes(write_ledger_xlsx(losing, tmp_path / "b.xlsx", "2026-01"), losing)


def test_large_amounts_still_recompute_to_the_cent(tmp_path):
    rows = [
        LedgerRow(
            dt.date(2026, 1, 5),
            "big",
            "benefit",
            "Big",
            "volume * price / 7",
            "",
            (LedgerInput("volume", "123456789.123"), LedgerInput("price", "12.3456789")),
            (Decimal("123456789.123") * Decimal("12.3456789") / 7).quantize(Decimal("1E-10")),
            "USD",
        ),
        LedgerRow(
            dt.date(2026, 1, 5),
            "run",
            "cost",
            "Run",
            "-(a - b)",
            "",
            (LedgerInput("a", "10.01"), LedgerInput("b", "1000000.99")),
            Decimal("999990.98"),
            "USD",
        ),
    ]
    assert_recomputes(write_ledger_xlsx(rows, tmp_path / "big.xlsx", "2026-01"), rows)


def test_cells_are_live_formulas_over_visible_number_inputs(tmp_path):
    rows = fixture_rows(tmp_path)
    book = write_ledger_xlsx(rows, tmp_path / "ledger.xlsx", "2026-Q1")
    wb = openpyxl.load_workbook(book.path)
    for r in rows:
        sheet, ref = book.amounts[r.key].split("!")
        formula = wb[sheet][ref].value
        assert isinstance(formula, str) and formula.startswith("=")
        for item in r.inputs:
            in_sheet, in_ref = book.inputs[(r.week_start, r.system, r.line_id, item.name)].split(
                "!"
            )
            assert in_sheet == sheet and in_ref in formula
            value = wb[in_sheet][in_ref].value
            # a double (xlsx keeps ~16 significant digits: the precision caveat)
            assert isinstance(value, int | float) and value == pytest.approx(
                float(item.value), rel=1e-15
            )
            label = (
                wb[in_sheet].cell(wb[in_sheet][in_ref].row, wb[in_sheet][in_ref].column - 1).value
            )
            assert label == item.name
    summary = [*book.totals.values(), *book.lines.values()]
    summary += [ref for week in book.weekly.values() for ref in week.values()]
    for ref in summary:
        sheet, a1 = ref.split("!")
        assert str(wb[sheet][a1].value).startswith("="), ref
    assert (
        "SUMIFS(" in wb["Summary"]["B4"].value and wb["Summary"]["B7"].value == '=IF(B5=0,"",B6/B5)'
    )


def test_an_edited_input_changes_the_recomputed_amount(tmp_path):
    """The evaluator really recomputes: change one input cell and its amount follows."""
    rows = fixture_rows(tmp_path)
    book = write_ledger_xlsx(rows, tmp_path / "ledger.xlsx", "2026-Q1")
    target = rows[0]
    wb = openpyxl.load_workbook(book.path)
    sheet, ref = book.inputs[
        (target.week_start, target.system, target.line_id, "loaded_hourly_cost")
    ].split("!")
    wb[sheet][ref].value = 70.0
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    values = recompute(edited)
    assert float(cell(values, book.amounts[target.key])) == pytest.approx(100 * 70.0)
    net = float(cell(values, book.totals["net"]))
    assert net == pytest.approx(float(ledger_totals(rows).net) + 100 * (70 - 62.5))


def test_workbook_bytes_are_deterministic(tmp_path):
    rows = fixture_rows(tmp_path)
    a = write_ledger_xlsx(rows, tmp_path / "a.xlsx", "2026-Q1").path.read_bytes()
    b = write_ledger_xlsx(list(reversed(rows)), tmp_path / "b.xlsx", "2026-Q1").path.read_bytes()
    assert a == b


def test_no_rows_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no ledger rows"):
        write_ledger_xlsx([], tmp_path / "x.xlsx", "2026-01")
