"""Period close and restatement over a fixture snapshot (tests/ledgerfixtures.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from decimal import Decimal

import pytest

from outcomes.roi.close import CloseError, close_period, closed_periods
from outcomes.roi.ledger import amount_text, ledger_sha256, read_ledger
from outcomes.roi.restatements import restatements
from outcomes.store.snapshot import open_snapshot
from tests import ledgerfixtures
from tests.ledgerfixtures import (
    CLOSED_AT,
    JAN_WEEKS,
    LINES,
    Q1_WEEKS,
    Fixture,
    hours_saved,
    make_snapshot,
)

fx, store, con = ledgerfixtures.fx, ledgerfixtures.store, ledgerfixtures.con


def rebuild(fx: Fixture, **changes) -> None:
    """A later build: new build id, the given fixture fields changed."""
    for key, value in changes.items():
        setattr(fx, key, value)
    fx.build_id = "B20260601T020000-00000002"
    make_snapshot(fx)


def test_close_freezes_rows_manifest_who_and_when(fx, store, con):
    record = close_period(con, fx.settings(), "2026-Q1", "cfo@example.com", store=store)
    rows = read_ledger(con, dt.date(2026, 1, 1), dt.date(2026, 3, 31))

    assert (record.period, record.start, record.end) == (
        "2026-Q1",
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 31),
    )
    assert record.closed_by == "cfo@example.com" and record.closed_at == CLOSED_AT
    assert record.build_id == fx.build_id
    assert len(record.rows) == len(Q1_WEEKS) * len(LINES) == 52
    assert list(record.rows) == rows  # exact: Decimal amounts and every input field
    assert record.ledger_sha256 == ledger_sha256(rows)
    m = record.manifest
    assert m["build"]["build_id"] == fx.build_id and m["build"]["raw_fingerprint"]
    sql = {o["name"]: o["sql_sha256"] for o in m["objects"]}
    assert (
        sql["hours_saved"]
        == hashlib.sha256((fx.sql_dir / "metrics" / "hours_saved.sql").read_bytes()).hexdigest()
    )
    assert {
        "key": "loaded_hourly_cost",
        "system": None,
        "effective_from": "2026-01-01",
        "value": "62.50",
    } in m["assumptions_used"]
    assert {
        "key": "licence_annual",
        "system": None,
        "effective_from": "2026-03-01",
        "value": "60000",
    } in m["assumptions_used"]
    assert [load["load_id"] for load in m["loads"]] == ["L1"]
    benefits = sum((r.amount for r in rows if r.category == "benefit"), Decimal(0))
    costs = sum((r.amount for r in rows if r.category == "cost"), Decimal(0))
    assert record.totals["net"] == amount_text(benefits - costs)

    # amounts are exact decimal text in the state store, never floats
    conn = sqlite3.connect(store.path)
    amounts = conn.execute(
        "select amount, typeof(amount) from closed_ledger_rows order by id"
    ).fetchall()
    conn.close()
    assert {t for _, t in amounts} == {"text"}
    assert amounts[0][0] == "6250.0000000000"  # 100 hours * 62.50
    [entry] = store.audit_log(entity="roi_period")
    assert (entry.action, entry.entity_key, entry.actor) == ("close", "2026-Q1", "cfo@example.com")
    assert entry.detail["ledger_sha256"] == record.ledger_sha256
    assert [c.period for c in closed_periods(fx.settings(), store=store)] == ["2026-Q1"]


def test_closing_twice_is_refused_and_names_the_first_close(fx, store, con):
    close_period(con, fx.settings(), "2026-01", "cfo@example.com", store=store)
    with pytest.raises(CloseError, match=r"2026-01 is already closed.*cfo@example.com.*reopen"):
        close_period(con, fx.settings(), "2026-01", "someone@example.com", store=store)
    # also at the database level, whatever the code does
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="already closed"):
        conn.execute(
            "insert into period_closes (period, period_start, period_end, build_id, closed_by, "
            "closed_at, manifest, ledger_sha256, row_count, totals) "
            "values ('2026-01', 'x', 'x', 'b', 'me', 'now', '{}', 'h', 0, '{}')"
        )
    conn.close()
    assert len(closed_periods(fx.settings(), store=store)) == 1
    # a month and the quarter that contains it are separate closes
    close_period(con, fx.settings(), "2026-Q1", "cfo@example.com", store=store)
    assert [c.period for c in closed_periods(fx.settings(), store=store)] == ["2026-01", "2026-Q1"]


@pytest.mark.parametrize(
    "sql",
    [
        "update closed_ledger_rows set amount = '1.00' where id = 1",
        "delete from closed_ledger_rows where id = 1",
        "update period_closes set closed_by = 'x' where id = 1",
        "delete from period_closes",
    ],
)
def test_closed_records_cannot_be_updated_or_deleted(fx, store, con, sql):
    close_period(con, fx.settings(), "2026-01", "cfo@example.com", store=store)
    conn = sqlite3.connect(store.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    finally:
        conn.close()
    assert closed_periods(fx.settings(), store=store)[0].rows[0].amount == Decimal("6250")


def test_assumption_change_after_close_shows_restatement_naming_it(fx, store, con):
    close_period(con, fx.settings(), "2026-Q1", "cfo@example.com", store=store)
    con.close()
    rebuild(fx, assumptions={**fx.assumptions, "loaded_hourly_cost": [("2026-01-01", "70.00")]})
    with open_snapshot(fx.settings()) as later:
        [r] = restatements(later, fx.settings(), store=store)

    assert r.period == "2026-Q1" and r.restated
    assert (r.closed_build_id, r.current_build_id) == ("B20260504T020000-00000001", fx.build_id)
    assert [(x.week_start, x.line_id) for x in r.lines] == [
        (w, "analyst_time_saved") for w in Q1_WEEKS
    ]
    for x in r.lines:
        assert x.status == "changed"
        assert x.original == Decimal(str(hours_saved(x.week_start))) * Decimal("62.50")
        assert x.restated == Decimal(str(hours_saved(x.week_start))) * Decimal("70.00")
        assert x.difference == x.restated - x.original
        [change] = x.input_changes
        assert (change.name, change.source_type, change.change) == (
            "loaded_hourly_cost",
            "assumption",
            "changed",
        )
        assert change.fields == (("value", "62.50", "70.00"),)
        assert change.describe() == (
            "assumption loaded_hourly_cost (effective_from 2026-01-01): value 62.50 -> 70.00"
        )
    assert r.changed_inputs() == [
        "assumption loaded_hourly_cost (effective_from 2026-01-01): value 62.50 -> 70.00"
    ]
    total_diff = sum((x.difference for x in r.lines), Decimal(0))
    assert Decimal(r.restated_totals["net"]) - Decimal(r.original_totals["net"]) == total_diff
    text = r.describe()
    assert (
        "loaded_hourly_cost" in text
        and "62.50 -> 70.00" in text
        and "original 6250.0000000000" in text
    )
    # the closed record itself is untouched
    [close] = closed_periods(fx.settings(), store=store)
    assert close.rows[0].amount == Decimal("6250") and close.build_id == "B20260504T020000-00000001"


def test_new_assumption_version_restates_only_the_weeks_it_covers(fx, store, con):
    close_period(con, fx.settings(), "2026-Q1", "cfo@example.com", store=store)
    close_period(con, fx.settings(), "2026-01", "cfo@example.com", store=store)
    con.close()
    versions = [("2026-01-01", "62.50"), ("2026-02-01", "70.00")]
    rebuild(fx, assumptions={**fx.assumptions, "loaded_hourly_cost": versions})
    with open_snapshot(fx.settings()) as later:
        found = restatements(later, fx.settings(), store=store)
        everything = restatements(later, fx.settings(), store=store, include_unchanged=True)
    assert [r.period for r in found] == ["2026-Q1"]  # January is not restated
    assert [(r.period, r.restated) for r in everything] == [("2026-Q1", True), ("2026-01", False)]
    [q1] = found
    assert {x.week_start for x in q1.lines} == {w for w in Q1_WEEKS if w >= dt.date(2026, 2, 1)}
    assert q1.changed_inputs() == [
        "assumption loaded_hourly_cost: effective_from 2026-01-01 -> 2026-02-01, value 62.50 -> 70.00"
    ]


def test_sql_change_with_same_figures_is_provenance_not_restatement(fx, store, con):
    close_period(con, fx.settings(), "2026-01", "cfo@example.com", store=store)
    con.close()
    rebuild(fx, metric_sql_suffix={"hours_saved": "\n-- reformatted"})
    with open_snapshot(fx.settings()) as later:
        [r] = restatements(later, fx.settings(), store=store)
    assert not r.restated
    assert [(x.week_start, x.line_id, x.status) for x in r.provenance] == [
        (w, "analyst_time_saved", "provenance") for w in JAN_WEEKS
    ]
    [change] = r.provenance[0].input_changes
    assert change.name == "hours_saved" and [f for f, _, _ in change.fields] == ["sql_sha256"]
    assert change.describe().startswith("metric hours_saved: sql_sha256 ")


def test_lines_added_and_removed_after_close(fx, store, con):
    close_period(con, fx.settings(), "2026-01", "cfo@example.com", store=store)
    con.close()
    rebuild(fx, line_ids=("analyst_time_saved", "errors_avoided", "inference_spend"))
    with open_snapshot(fx.settings()) as later:
        [r] = restatements(later, fx.settings(), store=store)
    assert [(x.line_id, x.status) for x in r.lines] == [("platform_cost", "removed")] * len(
        JAN_WEEKS
    )
    removed = r.lines[0]
    assert removed.restated is None and removed.difference == -removed.original
    assert "removed, original" in removed.describe()


def test_unchanged_rebuild_is_no_restatement(fx, store, con):
    close_period(con, fx.settings(), "2026-Q1", "cfo@example.com", store=store)
    con.close()
    rebuild(fx)
    with open_snapshot(fx.settings()) as later:
        assert restatements(later, fx.settings(), store=store) == []
        [same] = restatements(later, fx.settings(), store=store, include_unchanged=True)
    assert not same.restated and not same.provenance and "unchanged since close" in same.describe()


def test_refuses_a_period_not_over_an_empty_one_and_a_failed_build(fx, store, con):
    with pytest.raises(
        CloseError, match=r"2026-Q2 is not over at the build's as_of \(2026-05-04\)"
    ):
        close_period(con, fx.settings(), "2026-Q2", "cfo@example.com", store=store)
    with pytest.raises(CloseError, match="no ROI ledger rows .* 2025-Q4"):
        close_period(con, fx.settings(), "2025-Q4", "cfo@example.com", store=store)
    with pytest.raises(CloseError, match="closed_by"):
        close_period(con, fx.settings(), "2026-01", "  ", store=store)
    con.close()
    rebuild(fx, status="failed")
    with open_snapshot(fx.settings()) as failed, pytest.raises(CloseError, match="status 'failed'"):
        close_period(failed, fx.settings(), "2026-01", "cfo@example.com", store=store)
    assert closed_periods(fx.settings(), store=store) == []
