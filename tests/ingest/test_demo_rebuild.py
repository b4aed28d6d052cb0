"""Rebuilds of the session demo: the ROI ledger is byte-identical; review verdicts feed a metric.

The golden ledger tests (tests/roi/test_ledger.py) use a few hand-made rows; this one builds the
session demo (60k events, several threads adding up) a second time from a copy of its raw store
and compares the ledger CSV and every exact amount. A DOUBLE summed in parallel differs in its
last bits from build to build; any such sum that reaches the ledger fails here.
"""

from __future__ import annotations

import shutil

from outcomes.build.full import build_snapshot
from outcomes.roi.ledger import ledger_csv
from outcomes.store.segments import copy_raw_store
from outcomes.store.snapshot import open_file
from tests.conftest import settings_for


def _ledger(path) -> tuple[bytes, list[tuple]]:
    con = open_file(path)
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
    copy_raw_store(demo_root / "raw.duckdb", again / "raw.duckdb")
    if (demo_root / "state.sqlite").exists():
        shutil.copy(demo_root / "state.sqlite", again / "state.sqlite")
    result = build_snapshot(settings_for(again))
    assert result.ok, [o.error for o in result.objects if o.status != "ok"]
    first_csv, first_rows = _ledger(demo_root / "warehouse.duckdb")
    second_csv, second_rows = _ledger(again / "warehouse.duckdb")
    assert len(first_rows) > 100  # the demo has a year of weeks x 7 lines
    assert {r[1] for r in first_rows} >= {"time_saved", "errors_avoided", "inference"}
    differing = [(a, b) for a, b in zip(first_rows, second_rows, strict=True) if a != b]
    assert differing == []
    assert first_csv == second_csv


def test_verdicts_in_the_state_store_feed_reviewed_accuracy_at_the_next_build(demo_root, tmp_path):
    from outcomes.app.views.weekly_review.output_review import output_sample
    from outcomes.store.state import StateStore

    copy_raw_store(demo_root / "raw.duckdb", tmp_path / "raw.duckdb")
    settings = settings_for(tmp_path)
    con = open_file(demo_root / "warehouse.duckdb")
    try:
        week = con.execute(
            "select max(week_start) from staging.weeks where not is_partial"
        ).fetchall()[0][0]
        sample = output_sample(con, week, 12)
    finally:
        con.close()
    assert len(sample) == 12
    store = StateStore(settings.state_path)
    events = list(sample["event_id"])
    for i, event_id in enumerate(events):
        store.record_verdict(event_id, week, "correct" if i < 9 else "incorrect", "ops-lead")
    store.record_verdict(events[9], week, "correct", "ops-lead", "second look: it was right")
    assert build_snapshot(settings).ok
    snap = open_file(settings.warehouse_path)
    try:
        got = snap.execute(
            "select value, numerator, denominator, flag from metrics.reviewed_accuracy "
            "where week_start = ? and system is null",  # the company row: every system's events
            [week],
        ).fetchall()
        per_system = snap.execute(
            "select sum(numerator), sum(denominator) from metrics.reviewed_accuracy "
            "where week_start = ? and system is not null",
            [week],
        ).fetchall()
    finally:
        snap.close()
    assert got == [(10 / 12, 10.0, 12.0, None)]
    assert per_system == [(10.0, 12.0)]  # the systems' rows add up to the company's
