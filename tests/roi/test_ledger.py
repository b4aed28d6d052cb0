"""The ROI ledger over the hand-worked project of tests/roifixtures.py, to the cent and exactly.

Hand workings (UTC, Monday weeks; register: loaded_hourly_cost 62.50 from 2026-01-01 and 72 from
2026-03-09 (CLI change), baseline_handle_minutes 45, baseline_error_rate 0.30, cost_per_error 180
(ingested), build_cost 2600 over 12 months):

time_saved = (baseline_handle_minutes * assisted_items - handle_minutes) / 60 * loaded_hourly_cost
  W1 03-02: items 30 + 35 min: (45*2 - 65) / 60 * 62.5 = 25/60 * 62.5 = 26.041666... -> 26.0416666667
  W2 03-09: items 5, 10, 15 (i06 not assisted): (135 - 30) / 60 * 72 = 1.75 * 72 = 126
  W3 03-16: items 5, 15, 20: (135 - 40) / 60 * 72 = 95 * 72 / 60 = 114
errors_avoided = (baseline_error_rate - error_rate) * event_volume * cost_per_error
  W1: 3 labelled, 1 wrong: error_rate 1/3 -> 0.3333333333 (10 places, half up); 4 events:
      (0.3 - 0.3333333333) * 4 * 180 = -0.0333333333 * 720 = -23.999999976
  W2: 4 labelled, 1 wrong: 0.25; 5 events: 0.05 * 5 * 180 = 45
  W3: 4 labelled, 0 wrong: 0; 4 events: 0.3 * 4 * 180 = 216
inference = sum of cost_usd: W1 0.01 + 0.02 + 0.03 + 0.000001 = 0.060001; W2 5 * 0.01 = 0.05;
  W3 0.1 + 0.0005 + 0 + 0.25 = 0.3505
infrastructure: infra-1 140.00 over 14 days (03-02..03-15) = 70.00 + 70.00; infra-2 66.67 in W3
people: people-1 100.00 over 21 days (03-01..03-21) in cents: 10000 * 1/21 = 476 r 4 (02-23),
  * 7/21 = 3333 r 7 (W1), 3333 r 7 (W2), * 6/21 = 2857 r 3 (W3); 9999 cents, the spare cent goes
  to the largest remainder (7, earliest week W1): 4.76, 33.34, 33.33, 28.57
licences: licence-1 40.00 over 28 days (03-02..03-29) = 10.00 in each of W1..W4 (W4 is the
  current week, included)
build_amortisation = build_cost / months * 12 / 52 = 2600 / 12 * 12 / 52 = 50 in W1..W4
  (12 months = 52 weeks from go-live W1; W4 is week 4)
the inference invoice (5.00) and the build invoice (2600.00) are not ledger lines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from decimal import Decimal

import duckdb
import pytest

from outcomes.core.registry import load_registry
from outcomes.roi.ledger import LedgerError, display, ledger_csv, read_ledger
from outcomes.roi.ledger_build import build_ledger
from outcomes.roi.line_specs import InputSpec, LineSpec
from outcomes.store.parts import copy_snapshot
from outcomes.store.snapshot import open_file, search_path
from tests import roifixtures
from tests.roifixtures import LEDGER_LINES, PRE, W1, W2, W3, W4, build_wired, make_project
from tests.sqlharness import SQL_DIR

golden = roifixtures.golden  # the hand-worked project, built once (fixture)
golden_con = roifixtures.golden_con
D = Decimal
EXPECTED = {
    (PRE, "people"): D("4.76"),
    (W1, "build_amortisation"): D("50"),
    (W1, "errors_avoided"): D("-23.999999976"),
    (W1, "inference"): D("0.060001"),
    (W1, "infrastructure"): D("70"),
    (W1, "licences"): D("10"),
    (W1, "people"): D("33.34"),
    (W1, "time_saved"): D("26.0416666667"),
    (W2, "build_amortisation"): D("50"),
    (W2, "errors_avoided"): D("45"),
    (W2, "inference"): D("0.05"),
    (W2, "infrastructure"): D("70"),
    (W2, "licences"): D("10"),
    (W2, "people"): D("33.33"),
    (W2, "time_saved"): D("126"),
    (W3, "build_amortisation"): D("50"),
    (W3, "errors_avoided"): D("216"),
    (W3, "inference"): D("0.3505"),
    (W3, "infrastructure"): D("66.67"),
    (W3, "licences"): D("10"),
    (W3, "people"): D("28.57"),
    (W3, "time_saved"): D("114"),
    (W4, "build_amortisation"): D("50"),
    (W4, "licences"): D("10"),
}
DISPLAYED = {  # the same, rounded half up to cents for display
    (W1, "errors_avoided"): "-24.00",
    (W1, "time_saved"): "26.04",
    (W1, "inference"): "0.06",
    (W3, "inference"): "0.35",
    (PRE, "people"): "4.76",
}


def test_every_line_is_built(golden):
    assert golden.build.ok, [o.error for o in golden.build.objects if o.status != "ok"]
    assert golden.ledger.ok, golden.ledger.errors
    assert {line.line_id for line in golden.ledger.lines} == set(LEDGER_LINES)


def test_every_amount_matches_the_hand_worked_figures(golden_con):
    got = {
        (w, line): amount
        for w, line, amount in golden_con.execute(
            "select week_start, line_id, amount from main.roi_ledger"
        ).fetchall()
    }
    assert got == EXPECTED  # exact, to the 10th decimal place, and no other rows
    for key, text in DISPLAYED.items():
        assert display(got[key]) == text


def test_ledger_columns_categories_and_order(golden_con):
    columns = golden_con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'main' and table_name = 'roi_ledger' order by ordinal_position"
    ).fetchall()
    assert columns == [
        ("week_start", "DATE"),
        ("system", "VARCHAR"),
        ("line_id", "VARCHAR"),
        ("category", "VARCHAR"),
        ("title", "VARCHAR"),
        ("formula", "VARCHAR"),
        ("formula_filled", "VARCHAR"),
        ("inputs", "JSON"),
        ("amount", "DECIMAL(38,10)"),
        ("currency", "VARCHAR"),
    ]
    rows = read_ledger(golden_con)
    assert [(r.week_start, r.line_id) for r in rows] == sorted(EXPECTED)
    assert {r.system for r in rows} == {"triage"}  # the fixture's one AI system
    categories = {r.line_id: r.category for r in rows}
    assert {k for k, v in categories.items() if v == "benefit"} == {"time_saved", "errors_avoided"}
    assert all(r.amount >= 0 for r in rows if r.category == "cost")
    assert {r.currency for r in rows} == {"USD"}


def test_formula_filled_and_inputs_with_their_sources(golden_con):
    rows = {(r.week_start, r.line_id): r for r in read_ledger(golden_con)}
    w2 = rows[(W2, "time_saved")]
    assert (
        w2.formula
        == "(baseline_handle_minutes * assisted_items - handle_minutes) / 60 * loaded_hourly_cost"
    )
    assert w2.formula_filled == "(45 * 3 - 30) / 60 * 72"
    inputs = {i.name: i for i in w2.inputs}
    rate = inputs["loaded_hourly_cost"]
    # the CLI change from 2026-03-09 is the version in force in W2; W1 still has the file's 62.50
    assert (rate.source_type, rate.source_ref, rate.effective_from, rate.decimal, rate.unit) == (
        "assumption",
        "loaded_hourly_cost",
        "2026-03-09",
        D("72"),
        "USD/hour",
    )
    w1_rate = {i.name: i for i in rows[(W1, "time_saved")].inputs}["loaded_hourly_cost"]
    assert (w1_rate.effective_from, w1_rate.decimal, w1_rate.owner) == (
        "2026-01-01",
        D("62.5"),
        "fin@example.com",
    )
    items = inputs["assisted_items"]
    metric_sha = hashlib.sha256((SQL_DIR / "metrics" / "hours_saved.sql").read_bytes()).hexdigest()
    assert (items.source_type, items.source_ref, items.decimal, items.unit, items.sql_sha256) == (
        "metric",
        "metrics.hours_saved.assisted_items[triage]",
        D("3"),
        "items",
        metric_sha,
    )
    people = rows[(W1, "people")].inputs[0]
    cost_sha = hashlib.sha256(
        (SQL_DIR / "staging" / "cost_allocations.sql").read_bytes()
    ).hexdigest()
    assert (people.source_type, people.source_ref, people.sql_sha256) == (
        "cost_rows",
        "staging.cost_allocations[people][triage]: share of people-1 (events)",
        cost_sha,
    )
    assert rate.assumption_system is None  # the company-wide version
    inference = rows[(W1, "inference")].inputs[0]
    assert inference.source_ref == "staging.ai_events[triage]: sum(cost_usd) of 4 events"
    error_rate = {i.name: i for i in rows[(W1, "errors_avoided")].inputs}["error_rate"]
    assert (error_rate.decimal, error_rate.source_ref, error_rate.unit) == (
        D("0.3333333333"),
        "metrics.error_rate[triage]",
        "ratio",
    )


def test_inputs_json_is_canonical(golden_con):
    for (text,) in golden_con.execute("select inputs::varchar from main.roi_ledger").fetchall():
        items = json.loads(text)
        assert text == json.dumps(items, sort_keys=True, separators=(",", ":"))
        for item in items:
            assert set(item) == {
                "name",
                "value",
                "unit",
                "source_type",
                "source_ref",
                "sql_sha256",
                "effective_from",
                "owner",
                "assumption_system",
            }
            assert item["source_type"] in ("metric", "assumption", "cost_rows", "events")
            assert "E" not in item["value"] and not item["value"].endswith(".0")


def test_two_builds_of_the_same_inputs_give_byte_identical_ledgers(golden, tmp_path):
    # a second project in another folder: other load ids, other paths, other change times
    settings = make_project(tmp_path / "again")
    build, ledger = build_wired(settings)
    assert build.ok and ledger.ok
    first = ledger_csv(golden.connect())
    con = open_file(settings.warehouse_path)
    try:
        second = ledger_csv(con)
    finally:
        con.close()
    assert first == second
    assert len(first.splitlines()) == len(EXPECTED) + 1
    text = first.decode()
    assert str(tmp_path) not in text and "register-" not in text and "L2026" not in text


def test_ledger_csv_has_exact_and_display_amounts(golden_con):
    lines = ledger_csv(golden_con).decode().splitlines()
    assert lines[0] == (
        "week_start,system,line_id,category,title,formula,formula_filled,inputs,amount,currency,"
        "amount_display"
    )
    w1_errors = next(line for line in lines if line.startswith("2026-03-02,triage,errors_avoided"))
    assert w1_errors.endswith(",-23.9999999760,USD,-24.00")


@pytest.fixture
def writable_copy(golden, tmp_path):
    """A writable copy of the golden snapshot and a copy of the project's SQL folder."""
    path = tmp_path / "copy.duckdb"
    copy_snapshot(golden.settings.warehouse_path, path)
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    con = duckdb.connect(str(path))
    con.execute(f"set global file_search_path = '{search_path([path])}'")  # its staging parts
    yield con, sql_dir, golden.settings
    con.close()


def _build_with_line(writable_copy, name: str, header: str, select: str):
    """Add ROI line ``name`` (its header's lines after name and title, and its SELECT), build
    its table and the ledger; return the ledger result."""
    con, sql_dir, settings = writable_copy
    text = f"/* ---\nname: {name}\ntitle: {name.title()}\n{header}--- */\n{select}"
    (sql_dir / "roi" / f"{name}.sql").write_text(text)
    registry = load_registry(sql_dir)
    con.execute(f"create table roi.{name} as {registry.get(f'roi.{name}').body_sql}")
    return build_ledger(con, registry, settings)


INFRASTRUCTURE_COST = """grain: One row per week.
category: cost
formula: infrastructure_cost
inputs:
  infrastructure_cost: {cost_rows: infrastructure}
"""


def test_a_line_whose_amount_is_not_its_formula_fails_alone(writable_copy):
    result = _build_with_line(
        writable_copy,
        "bogus",
        "description: amount is off by a cent\n" + INFRASTRUCTURE_COST,
        "select week_start, system, infrastructure_cost, (amount + 0.01)::decimal(38, 10) as amount, "
        "value from roi.infrastructure",
    )
    status = {line.line_id: line for line in result.lines}
    assert status["bogus"].status == "failed"
    assert (
        "week 2026-03-02, system triage: amount 70.01 is not the formula infrastructure_cost"
        in status["bogus"].error
    )
    assert "70 = 70" in status["bogus"].error
    assert not result.ok and all(s.status == "ok" for k, s in status.items() if k != "bogus")
    con = writable_copy[0]
    assert con.execute("select count(*) from main.roi_ledger").fetchall() == [(len(EXPECTED),)]


def test_a_line_reading_the_wrong_assumption_version_fails(writable_copy):
    result = _build_with_line(
        writable_copy,
        "stale_rate",
        """description: always reads the first version of loaded_hourly_cost
grain: One row per week.
category: benefit
formula: loaded_hourly_cost
inputs:
  loaded_hourly_cost: {assumption: loaded_hourly_cost}
""",
        """select w.week_start, 'triage' as system, a.value as loaded_hourly_cost, a.value::decimal(38, 10) as amount,
    a.value::double as value
from staging.weeks as w
inner join staging.assumptions as a
    on a.key = 'loaded_hourly_cost' and a.effective_from = date '2026-01-01'
""",
    )
    error = {line.line_id: line.error for line in result.lines}["stale_rate"]
    assert "week 2026-03-09, system triage, input loaded_hourly_cost is 62.5" in error
    assert "(company-wide, effective_from 2026-03-09) is 72" in error


def test_a_line_with_a_double_input_fails(writable_copy):
    result = _build_with_line(
        writable_copy,
        "floaty",
        "description: a DOUBLE input\n" + INFRASTRUCTURE_COST,
        "select week_start, system, value as infrastructure_cost, amount, value "
        "from roi.infrastructure",
    )
    error = {line.line_id: line.error for line in result.lines}["floaty"]
    assert "input column infrastructure_cost is DOUBLE" in error


def test_header_problems_are_named():
    registry = load_registry(SQL_DIR)
    d = registry.get("roi.time_saved")
    spec = LineSpec.from_definition(d)
    assert [i.name for i in spec.inputs] == [
        "baseline_handle_minutes",
        "assisted_items",
        "handle_minutes",
        "loaded_hourly_cost",
    ]
    with pytest.raises(LedgerError, match="unknown source type 'table'"):
        InputSpec.parse("x", {"table": "raw.costs"})
    with pytest.raises(LedgerError, match="expected one 'source_type: reference' pair"):
        InputSpec.parse("x", {"metric": "a", "assumption": "b"})
    bad = d.header.model_copy(update={"formula": "hours_saved * rate"})
    with pytest.raises(LedgerError, match="formula names hours_saved, rate that are not in inputs"):
        LineSpec.from_definition(type(d)(**{**d.__dict__, "header": bad}))
    assert InputSpec.parse("m", "metric: hours_saved.actual_minutes").column == "actual_minutes"


def test_a_line_not_built_is_reported(golden, tmp_path):
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    con.execute("create schema roi; create schema staging")
    result = build_ledger(con, load_registry(SQL_DIR), golden.settings)
    assert not result.ok
    assert all("was not built" in line.error for line in result.lines)
    assert con.execute("select count(*) from main.roi_ledger").fetchall() == [(0,)]
    con.close()


def test_as_of_decides_the_current_week(golden, tmp_path):
    """A build a week later adds W5 to build amortisation only (no events, no costs that week)."""
    settings = make_project(tmp_path / "later")
    build, ledger = build_wired(settings, as_of=dt.datetime(2026, 3, 31, 12, 0, 0))
    assert ledger.ok
    con = open_file(settings.warehouse_path)
    try:
        later = con.execute(
            "select line_id, amount from main.roi_ledger where week_start = date '2026-03-30'"
        ).fetchall()
    finally:
        con.close()
    assert later == [("build_amortisation", D("50"))]
