"""trace(): the working of a line-week and of totals, over the hand-worked project."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import duckdb
import pytest

from outcomes.roi.summary import summarise
from outcomes.roi.trace import TraceError, trace
from outcomes.store.parts import copy_snapshot
from outcomes.store.snapshot import search_path
from tests import roifixtures
from tests.roifixtures import PRE, W1, W2, W3
from tests.sqlharness import SQL_DIR

golden = roifixtures.golden  # the hand-worked project, built once (fixture)
golden_con = roifixtures.golden_con
D = Decimal


def test_line_week_shows_formula_numbers_sources_sql_and_rows(golden_con):
    t = trace(golden_con, line_id="time_saved", week=W2)
    assert t.formula_filled == "(45 * 3 - 30) / 60 * 72"
    assert t.value == D("126")
    assert t.sql is not None and "name: time_saved" in t.sql
    assert (
        t.sql_sha256
        == hashlib.sha256((SQL_DIR / "roi" / "time_saved.sql").read_bytes()).hexdigest()
    )
    inputs = {i.name: i for i in t.inputs}
    rate = inputs["loaded_hourly_cost"]
    assert (rate.value, rate.effective_from, rate.source_type) == (
        D("72"),
        "2026-03-09",
        "assumption",
    )
    assert "cfo@example.com" in rate.note and "pay review March 2026" in rate.note
    assert "(was 62.5)" in rate.note
    assert list(rate.rows["value"]) == [D("62.5"), D("72")] or list(
        rate.rows["value"].astype(float)
    ) == [62.5, 72.0]
    baseline = inputs["baseline_handle_minutes"]
    assert "register file assumptions.csv, line" in baseline.note
    items = inputs["assisted_items"]
    assert items.sql is not None and "name: hours_saved" in items.sql
    assert items.rows["assisted_items"].tolist() == [3.0]
    assert len(t.rows) == 1 and float(t.rows["amount"][0]) == 126.0
    assert "(45 * 3 - 30) / 60 * 72" in t.render() and "-- roi.time_saved" in t.render(sql=True)


def test_cost_line_traces_to_its_cost_rows(golden_con):
    t = trace(golden_con, line_id="people", week=W1)
    (people,) = t.inputs
    assert (
        people.source_ref == "staging.cost_allocations[people][triage]: share of people-1 (events)"
    )
    assert people.rows[["cost_id", "days_in_week", "days_in_period", "method"]].values.tolist() == [
        ["people-1", 7, 21, "events"]
    ]
    assert float(people.rows["system_amount"][0]) == 33.34
    assert (
        float(people.rows["week_amount"][0]) == 33.34
        and float(people.rows["cost_amount"][0]) == 100.0
    )
    assert "name: cost_allocations" in people.sql


def test_inference_traces_to_a_sample_of_events(golden_con):
    (events,) = trace(golden_con, line_id="inference", week=W1, sample=3).inputs
    assert events.rows["event_id"].tolist() == ["e01", "e02", "e03"]
    assert "of 4 events" in events.note
    assert trace(golden_con, line_id="inference", week=W1).inputs[0].rows.shape[0] == 4


def test_totals_list_the_lines_they_sum(golden_con):
    summary = summarise(golden_con)
    net = trace(golden_con, figure="net_value")
    assert net.value == summary.net_value == D("-44.0888343093")
    assert net.formula == "total_benefits - total_costs"
    assert net.formula_filled == "503.0416666907 - 547.130501"
    assert {line.line_id: line.amount for line in net.lines} == {
        "time_saved": D("266.0416666667"),
        "errors_avoided": D("237.000000024"),
        "build_amortisation": D("200"),
        "inference": D("0.460501"),
        "infrastructure": D("206.67"),
        "licences": D("40"),
        "people": D("100"),
    }
    roi = trace(golden_con, figure="roi")
    assert roi.value == summary.roi
    costs = trace(golden_con, figure="total_costs", period="2026-03")
    assert costs.value == D("542.370501") and "people" in costs.formula
    assert all(i.sql and i.sql_name.startswith("roi.") for i in costs.inputs)
    rate = trace(golden_con, figure="run_rate_annualised")
    assert rate.value == summary.run_rate_annualised and (rate.start, rate.end) == (PRE, W3)
    line = trace(golden_con, line_id="errors_avoided", period="2026-03")
    assert line.value == D("237.000000024") and line.formula_filled == "-23.999999976 + 45 + 216"


def test_unknown_things_are_errors(golden_con):
    with pytest.raises(TraceError, match="no ledger row for line 'nope' in week 2026-03-02"):
        trace(golden_con, line_id="nope", week=W1)
    with pytest.raises(TraceError, match="unknown figure"):
        trace(golden_con, figure="ebitda")
    with pytest.raises(TraceError, match="say what to trace"):
        trace(golden_con)


def test_sql_falls_back_to_the_file_and_flags_a_change(golden, tmp_path):
    path = tmp_path / "old.duckdb"
    copy_snapshot(golden.settings.warehouse_path, path)
    con = duckdb.connect(str(path))
    con.execute(f"set global file_search_path = '{search_path([path])}'")  # its staging parts
    con.execute("drop table main.roi_sql")
    sql_file = tmp_path / "time_saved.sql"
    sql_file.write_text((SQL_DIR / "roi" / "time_saved.sql").read_text())
    con.execute("update main.build_objects set path = ? where name = 'time_saved'", [str(sql_file)])
    t = trace(con, line_id="time_saved", week=W3)
    assert t.sql_note is None and "name: time_saved" in t.sql
    sql_file.write_text(sql_file.read_text() + "\n-- edited later\n")
    t = trace(con, line_id="time_saved", week=W3)
    assert "has changed since this snapshot was built" in t.sql_note
    con.close()
