"""A hand-worked ROI example (issue 13): an opening balance from December, an assumption change
mid-January (loaded_hourly_cost 62.50 -> 66.00 from 19 January) and a partial last week (the
week of 26 January, built on 30 January). Every figure below was worked by hand; the product's
summary, the workbook (recomputed by an independent evaluator and as cached) and the audit pack
(verified, its totals, ledger and workbook) agree to the cent.

    week        hours  rate   benefit   cost     net      cumulative
    2025-12-22  10     62.50   625.00  1000.00  -375.00   -375.00
    2025-12-29  20     62.50  1250.00  1000.00   250.00   -125.00   <- opening balance
    2026-01-05  12     62.50   750.00   500.00   250.00    125.00   <- payback
    2026-01-12   8     62.50   500.00   500.00     0.00    125.00
    2026-01-19  10     66.00   660.00   500.00   160.00    285.00   (new rate)
    2026-01-26   5     66.00   330.00   500.00  -170.00    115.00   (partial)
    January: benefits 2,240.00, costs 2,000.00, net 240.00, ROI 12.00 %.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl

from outcomes.core.periods import parse_period
from outcomes.roi.ledger import LedgerInput, LedgerRow
from outcomes.roi.summary import summarise
from outcomes.roi.xlsx_ledger import EXCEL_EPOCH, write_ledger_xlsx
from tests.roi.test_xlsx_ledger import cell, recompute

JANUARY = parse_period("2026-01").bounds
WEEKS = {  # week: (hours, rate, effective_from of the rate, cost)
    dt.date(2025, 12, 22): ("10", "62.50", "2025-11-17", "1000"),
    dt.date(2025, 12, 29): ("20", "62.50", "2025-11-17", "1000"),
    dt.date(2026, 1, 5): ("12", "62.50", "2025-11-17", "500"),
    dt.date(2026, 1, 12): ("8", "62.50", "2025-11-17", "500"),
    dt.date(2026, 1, 19): ("10", "66.00", "2026-01-19", "500"),
    dt.date(2026, 1, 26): ("5", "66.00", "2026-01-19", "500"),
}
HAND = {
    "opening": Decimal("-125.00"),
    "benefits": Decimal("2240.00"),
    "costs": Decimal("2000.00"),
    "net": Decimal("240.00"),
    "roi": Decimal("0.12"),
    "payback": dt.date(2026, 1, 5),
    "cumulative": {
        dt.date(2026, 1, 5): Decimal("125.00"),
        dt.date(2026, 1, 12): Decimal("125.00"),
        dt.date(2026, 1, 19): Decimal("285.00"),
        dt.date(2026, 1, 26): Decimal("115.00"),
    },
}


def ledger() -> list[LedgerRow]:
    rows = []
    for week, (hours, rate, effective, cost) in WEEKS.items():
        rows.append(
            LedgerRow(
                week,
                "time_saved",
                "benefit",
                "Time saved",
                "hours_saved * loaded_hourly_cost",
                f"{hours} * {rate}",
                (
                    LedgerInput("hours_saved", hours, "hours", "metric", "hours_saved"),
                    LedgerInput(
                        "loaded_hourly_cost",
                        rate,
                        "USD/hour",
                        "assumption",
                        "loaded_hourly_cost",
                        effective_from=effective,
                    ),
                ),
                Decimal(hours) * Decimal(rate),
                "USD",
            )
        )
        rows.append(
            LedgerRow(
                week,
                "licences",
                "cost",
                "Licences",
                "licence_cost",
                cost,
                (
                    LedgerInput(
                        "licence_cost", cost, "USD", "cost_rows", "staging.cost_weeks:licence"
                    ),
                ),
                Decimal(cost),
                "USD",
            )
        )
    return rows


def january(con: duckdb.DuckDBPyConnection):
    return summarise(con, *parse_period("2026-01").bounds, ledger=ledger())


def test_the_product_summary_matches_the_hand_worked_figures():
    s = january(duckdb.connect())
    assert s.opening_cumulative_net == HAND["opening"]
    assert (s.total_benefits, s.total_costs, s.net_value) == (
        HAND["benefits"],
        HAND["costs"],
        HAND["net"],
    )
    assert s.roi == HAND["roi"] and s.payback_week == HAND["payback"]
    assert {w.week_start: w.cumulative_net for w in s.weeks} == HAND["cumulative"]


def test_the_workbook_matches_recomputed_and_as_cached(tmp_path: Path):
    s = january(duckdb.connect())
    rows = [r for r in ledger() if r.week_start >= dt.date(2026, 1, 1)]
    book = write_ledger_xlsx(
        rows, tmp_path / "jan.xlsx", "2026-01", opening_balance=s.opening_cumulative_net
    )
    computed = recompute(book.path)  # the `formulas` library: an independent evaluator
    cached = openpyxl.load_workbook(
        book.path, data_only=True
    )  # what a non-recalculating viewer shows

    def both(ref: str) -> list[object]:
        sheet, a1 = ref.split("!")
        return [cell(computed, ref), cached[sheet][a1].value]

    for value in both(book.opening):
        assert Decimal(str(value)) == HAND["opening"]
    for name in ("benefits", "costs", "net"):
        for value in both(book.totals[name]):
            assert round(Decimal(str(value)), 2) == HAND[name], name
    for value in both(book.totals["roi"]):
        assert round(Decimal(str(value)), 10) == HAND["roi"]
    for week, exact in HAND["cumulative"].items():
        for value in both(book.weekly[week]["cumulative"]):
            assert round(Decimal(str(value)), 2) == exact, week
    for value in both(book.totals["payback"]):
        day = (
            value.date()
            if isinstance(value, dt.datetime)
            else EXCEL_EPOCH + dt.timedelta(days=int(value))
        )
        assert day == HAND["payback"]


def test_a_payback_before_the_period_is_the_products(tmp_path: Path):
    rows = [r for r in ledger() if r.week_start >= dt.date(2026, 1, 12)]
    book = write_ledger_xlsx(
        rows,
        tmp_path / "late.xlsx",
        "2026-01 (from 12th)",
        opening_balance=Decimal("125.00"),
        paid_back_before=dt.date(2026, 1, 5),
    )
    assert EXCEL_EPOCH + dt.timedelta(
        days=int(cell(recompute(book.path), book.totals["payback"]))
    ) == dt.date(2026, 1, 5)


def test_newer_functions_carry_the_xlfn_prefix(tmp_path: Path):
    book = write_ledger_xlsx(ledger(), tmp_path / "x.xlsx", "all")
    sheet = zipfile.ZipFile(book.path).read("xl/worksheets/sheet2.xml").decode()
    assert "_xlfn.MINIFS(" in sheet and "<f>IF(ISNUMBER" in sheet
    assert ">MINIFS(" not in sheet and ",MINIFS(" not in sheet


def test_the_audit_pack_matches_the_hand_worked_figures(tmp_path: Path, monkeypatch):
    import csv
    import io

    from outcomes.roi.ledger import read_ledger
    from outcomes.roi.pack_export import export_pack
    from outcomes.roi.pack_verify import verify_pack
    from outcomes.roi.period_status import period_status
    from outcomes.store.snapshot import open_snapshot
    from tests import ledgerfixtures

    # the fixture snapshot with the hand-worked ledger in it, built on 30 January: the week of
    # 26 January is partial
    monkeypatch.setattr(ledgerfixtures, "ledger_rows", lambda fx: [r.canonical() for r in ledger()])
    fx = ledgerfixtures.Fixture(tmp_path)
    ledgerfixtures.make_snapshot(fx)
    con = duckdb.connect(str(fx.warehouse))
    con.execute("update main.build_settings set value = '2026-01-30 12:00:00' where key = 'as_of'")
    con.close()
    with open_snapshot(fx.settings()) as snap:
        pack = export_pack(snap, fx.settings(), "2026-01", tmp_path / "jan.zip")
        status = period_status(snap, parse_period("2026-01"), read_ledger(snap, *JANUARY))
        assert status.partial_weeks == (dt.date(2026, 1, 26),)  # badged, and not closable
    report = verify_pack(pack)
    assert all(c.status == "match" for c in report.lines), report.describe()
    files = zipfile.ZipFile(pack)
    manifest = json.loads(files.read("manifest.json"))
    totals = {k: Decimal(v) for k, v in manifest["totals"].items() if v is not None}
    assert (totals["benefits"], totals["costs"], totals["net"]) == (
        HAND["benefits"],
        HAND["costs"],
        HAND["net"],
    )
    assert totals["roi"] == HAND["roi"]
    rows = list(csv.DictReader(io.StringIO(files.read("ledger.csv").decode())))
    assert sum(Decimal(r["amount_display"]) for r in rows if r["category"] == "benefit") == Decimal(
        "2240.00"
    )
    book = tmp_path / "pack.xlsx"
    book.write_bytes(files.read("ledger.xlsx"))
    computed = recompute(book)
    assert Decimal(str(cell(computed, "Summary!B9"))) == HAND["opening"]  # opening balance
    week_cells = openpyxl.load_workbook(book, data_only=True)["Summary"]
    cumulative = {
        week_cells[f"A{r}"].value.date(): week_cells[f"E{r}"].value for r in range(14, 18)
    }
    assert {w: round(Decimal(str(v)), 2) for w, v in cumulative.items()} == HAND["cumulative"]
