"""Ingest of the system columns (issue 15): the systems register, the nullable ``system`` key
column of assumptions, and sources written before those columns existed."""

from __future__ import annotations

import duckdb

from outcomes.ingest.load import ingest_path
from outcomes.store.raw import open_raw_store
from tests.ingest.test_ingest import (
    assert_ledger_invariant,
    count,
    fetch,
    good,
    quarantine,
    write_csv,
)

SYSTEM = {
    "system": "invoice-matcher",
    "effective_from": "2026-02-23",
    "stage": "production",
    "owner": "ap-lead@example.com",
    "rollback_target": "im-v1",
    "production_events_per_week": "1500",
    "inference_budget_per_week": "250.00",
    "freshness_sla_hours": "24",
    "note": "",
}


def test_sources_without_the_system_columns_still_load(settings, tmp_path):
    for table in ("costs", "work_items", "incidents", "assumptions"):
        row = good(table)
        assert "system" not in row
        [r] = ingest_path(write_csv(tmp_path / f"{table}.csv", [row]), table, settings)
        assert (r.status, r.rows_accepted, r.rows_quarantined) == ("loaded", 1, 0), table
        assert fetch(settings, f"select system from raw.{table}") == [(None,)]
    assert fetch(settings, "select allocate_by from raw.costs") == [(None,)]
    assert_ledger_invariant(settings)


def test_system_columns_load_and_allocate_by_is_checked(settings, tmp_path):
    rows = [
        good("costs", cost_id="K1", system="ticket-assistant", allocate_by=""),
        good("costs", cost_id="K2", system="", allocate_by="hours_saved"),
        good("costs", cost_id="K3", system="", allocate_by="headcount"),
    ]
    [r] = ingest_path(write_csv(tmp_path / "c.csv", rows), "costs", settings)
    assert (r.rows_in, r.rows_accepted, r.rows_quarantined) == (3, 2, 1)
    assert fetch(settings, "select cost_id, system, allocate_by from raw.costs order by 1") == [
        ("K1", "ticket-assistant", None),
        ("K2", None, "hours_saved"),
    ]
    [q] = quarantine(settings, r.load_id)
    assert (q["row_number"], q["column"], q["rule"]) == (3, "allocate_by", "allowed_values")
    assert "headcount" in q["reason"] and "events" in q["reason"]


def test_an_assumption_per_system_beside_the_company_wide_one(settings, tmp_path):
    rows = [
        good("assumptions", system=""),  # company-wide
        good("assumptions", system="invoice-matcher", value="60"),
        good("assumptions", system="", value="56"),  # same key as row 1: duplicate
    ]
    path = write_csv(tmp_path / "a.csv", rows)
    [r] = ingest_path(path, "assumptions", settings)
    assert (r.rows_in, r.rows_accepted, r.rows_quarantined) == (3, 2, 1)
    [q] = quarantine(settings, r.load_id)
    assert (q["row_number"], q["rule"]) == (3, "duplicate_key")
    assert q["column"] == "key, system, effective_from"
    assert "system = empty" in q["reason"] and "(row 1, line 2)" in q["reason"]
    # sent again under another name: both rows are recognised as loaded, the empty system
    # matches the empty system of the loaded row
    again = tmp_path / "a2.csv"
    write_csv(again, rows[:2])
    [b] = ingest_path(again, "assumptions", settings)
    assert (b.rows_accepted, b.rows_corrected, b.rows_skipped) == (0, 0, 2)
    # a new company-wide value for the same day is a correction of the company-wide row only
    fixed = write_csv(tmp_path / "a3.csv", [good("assumptions", value="57")])
    [c] = ingest_path(fixed, "assumptions", settings)
    assert (c.rows_accepted, c.rows_corrected) == (1, 1)
    assert count(settings, "assumptions") == 3
    assert_ledger_invariant(settings)


def test_systems_register_rules(settings, tmp_path):
    rows = [
        SYSTEM,
        {**SYSTEM, "effective_from": "2026-01-05", "stage": "pilot", "rollback_target": ""},
        {**SYSTEM, "effective_from": "2026-03-02", "stage": "scaled"},
        {**SYSTEM, "effective_from": "2026-03-09", "owner": ""},
        {**SYSTEM, "effective_from": "2026-03-16", "inference_budget_per_week": "-5"},
        {**SYSTEM},  # same system and effective_from as row 1
    ]
    [r] = ingest_path(write_csv(tmp_path / "systems.csv", rows), "systems", settings)
    assert (r.rows_in, r.rows_accepted, r.rows_quarantined) == (6, 2, 4)
    got = [(q["row_number"], q["column"], q["rule"]) for q in quarantine(settings, r.load_id)]
    assert got == [
        (3, "stage", "allowed_values"),
        (4, "owner", "required"),
        (5, "inference_budget_per_week", "range"),
        (6, "system, effective_from", "duplicate_key"),
    ]
    loaded = fetch(
        settings,
        "select effective_from::varchar, stage, rollback_target, production_events_per_week, "
        "inference_budget_per_week::varchar, freshness_sla_hours from raw.systems order by 1",
    )
    assert loaded == [
        ("2026-01-05", "pilot", None, 1500, "250.00", 24.0),
        ("2026-02-23", "production", "im-v1", 1500, "250.00", 24.0),
    ]
    assert_ledger_invariant(settings)


def test_a_raw_store_from_before_the_system_columns_gains_them(settings, tmp_path):
    settings.raw_path.parent.mkdir(parents=True)
    old = duckdb.connect(str(settings.raw_path))
    old.execute("create schema raw.raw")  # catalog raw (the file name), schema raw
    old.execute(
        "create table raw.raw.costs (cost_id varchar, period_start date, period_end date, "
        "category varchar, amount decimal(18,2), currency varchar, vendor varchar, "
        "invoice_ref varchar, _load_id varchar, _row_number bigint, _row_hash varchar)"
    )
    old.execute(
        "insert into raw.raw.costs values ('K0', '2026-01-01', '2026-01-31', 'licence', 10, 'USD', "
        "null, null, 'old-load', 1, 'h')"
    )
    old.close()
    row = good("costs", system="contract-summariser", allocate_by="")
    [r] = ingest_path(write_csv(tmp_path / "c.csv", [row]), "costs", settings)
    assert r.rows_accepted == 1
    with open_raw_store(settings, write=False) as con:
        got = con.execute("select cost_id, system from raw.costs order by 1").fetchall()
    assert got == [("K0", None), ("K1", "contract-summariser")]
