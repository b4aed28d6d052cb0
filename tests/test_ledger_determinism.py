"""The ROI ledger of the demo is the same, byte for byte, on every build of the same inputs.

The golden ledger tests (tests/test_ledger.py) use a few hand-made rows; this one builds the
session demo (60k events, several threads adding up) a second time from a copy of its raw store
and compares the ledger CSV and every exact amount. A DOUBLE summed in parallel differs in its
last bits from build to build; any such sum that reaches the ledger fails here.
"""

from __future__ import annotations

import shutil

import duckdb

from metrics.build import build_snapshot
from metrics.ledger import ledger_csv
from tests.conftest import settings_for


def _ledger(path) -> tuple[bytes, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        amounts = con.execute(
            "select week_start, line_id, amount::varchar, inputs::varchar from main.roi_ledger "
            "order by week_start, line_id"
        ).fetchall()
        return ledger_csv(con), amounts
    finally:
        con.close()


def test_two_builds_of_the_demo_give_byte_identical_ledgers(demo_root, tmp_path):
    again = tmp_path / "again"
    again.mkdir()
    for name in ("raw.duckdb", "state.sqlite"):
        if (demo_root / name).exists():
            shutil.copy(demo_root / name, again / name)
    result = build_snapshot(settings_for(again))
    assert result.ok, [o.error for o in result.objects if o.status != "ok"]
    first_csv, first_rows = _ledger(demo_root / "warehouse.duckdb")
    second_csv, second_rows = _ledger(again / "warehouse.duckdb")
    assert len(first_rows) > 100  # the demo has a year of weeks x 7 lines
    assert {r[1] for r in first_rows} >= {"time_saved", "errors_avoided", "inference"}
    differing = [(a, b) for a, b in zip(first_rows, second_rows, strict=True) if a != b]
    assert differing == []
    assert first_csv == second_csv
