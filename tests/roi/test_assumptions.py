"""The assumptions register: the file, the CLI changes, the merge, and what the build sees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from outcomes.config import PROJECT_ROOT, Settings
from outcomes.ingest.load import ingest_path
from outcomes.roi.assumption_changes import history, render_history, set_assumption
from outcomes.roi.assumption_versions import AssumptionsError
from outcomes.roi.assumptions import copy_register_into, load_register, render_register
from outcomes.roi.register_file import read_register_file
from outcomes.store.raw import ensure_schema
from tests.ingest.demofiles import DEMO_ASSUMPTION_KEYS
from tests.roifixtures import HEADER, RAW_ASSUMPTIONS, REGISTER, settings_for, write_csv
from tests.sqlharness import SQL_DIR

D = Decimal
JAN = dt.date(2026, 1, 1)


@pytest.fixture
def settings(tmp_path):
    s = settings_for(tmp_path)
    write_csv(s.assumptions_file, HEADER, REGISTER)
    return s


def _register(s) -> dict[tuple[str, dt.date], dict]:
    return {(r["key"], r["effective_from"]): r for r in load_register(s).to_dict("records")}


def test_a_new_install_has_an_empty_register_and_the_demo_loads_its_own(tmp_path, demo_settings):
    # the project ships no register: the demo's is demo data, generated and loaded by the demo
    assert not (PROJECT_ROOT / "assumptions.csv").exists()
    s = Settings(
        assumptions_file=tmp_path / "assumptions.csv",
        raw_path=tmp_path / "raw.duckdb",
        state_path=tmp_path / "state.sqlite",
    )
    assert Settings().assumptions_file == (PROJECT_ROOT / "assumptions.csv").resolve()
    assert len(load_register(s)) == 0
    rows = read_register_file(demo_settings.demo_dir / "assumptions.csv")
    assert {r.key for r in rows} == DEMO_ASSUMPTION_KEYS


def test_file_errors_name_file_row_column_and_fix(tmp_path):
    path = write_csv(
        tmp_path / "assumptions.csv",
        HEADER,
        [
            ["ok_key", "2026-01-01", "1", "x", "me", "s", "", "", ""],
            ["bad_date", "01/02/2026", "1", "x", "me", "s", "", "", ""],
            ["bad_value", "2026-01-01", "12,5", "x", "me", "s", "", "", ""],
            ["range", "2026-01-01", "5", "x", "me", "s", "", "6", "9"],
            ["ok_key", "2026-01-01", "2", "x", "me", "s", "", "", ""],
            ["no_owner", "2026-01-01", "2", "x", "", "s", "", "", ""],
            ["too_fine", "2026-01-01", "0.1234567", "x", "me", "s", "", "", ""],
            ["Bad Key", "2026-01-01", "1", "x", "me", "s", "", "", ""],
        ],
    )
    with pytest.raises(AssumptionsError) as info:
        read_register_file(path)
    problems = info.value.problems
    name = str(path)
    assert all(p.startswith(f"{name}: row ") for p in problems)
    text = "\n".join(problems)
    assert (
        "row 2 (line 3), column effective_from: '01/02/2026' is not a date; fix: write it as YYYY-MM-DD"
        in text
    )
    assert "row 3 (line 4), column value: '12,5' is not a number" in text
    assert (
        "row 4 (line 5), column value: 5 is below low 6; fix: the range must hold low <= value <= high"
        in text
    )
    assert "row 5 (line 6): ok_key from 2026-01-01 is already on row 1" in text
    assert "row 6 (line 7), column owner: is empty but required; fix: fill it in" in text
    assert (
        "row 7 (line 8), column value: 0.1234567 has 7 decimal places, the register keeps 6" in text
    )
    assert "row 8 (line 9), column key: 'Bad Key' is not a lowercase name" in text
    assert len(problems) == 7


def test_header_errors(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("key,effective_from,vaule,unit,owner,source\n")
    with pytest.raises(AssumptionsError) as info:
        read_register_file(path)
    text = str(info.value)
    assert "column 'vaule': not a column of the assumptions register" in text
    assert "required column 'value' is missing" in text
    assert read_register_file(tmp_path / "missing.csv") == []


def test_precedence_cli_over_file_over_ingest(settings, tmp_path):
    raw = write_csv(tmp_path / "raw.csv", HEADER, RAW_ASSUMPTIONS)
    ingest_path(raw, "assumptions", settings, loaded_by="pytest")
    reg = _register(settings)
    assert reg[("loaded_hourly_cost", JAN)]["value"] == D("62.50")  # the file beats the ingest (65)
    assert reg[("loaded_hourly_cost", JAN)]["origin"] == "file"
    assert reg[("cost_per_error", JAN)]["origin"] == "ingest"  # only ingested
    set_assumption(
        settings,
        "loaded_hourly_cost",
        "64",
        why="typo in the file",
        author="ana",
        effective_from=JAN,
    )
    set_assumption(
        settings,
        "loaded_hourly_cost",
        D("63.75"),
        why="corrected again",
        author="bob",
        effective_from=JAN,
    )
    set_assumption(
        settings,
        "loaded_hourly_cost",
        72,
        why="pay review",
        author="ana",
        effective_from=dt.date(2026, 3, 9),
    )
    reg = _register(settings)
    jan = reg[("loaded_hourly_cost", JAN)]
    assert (jan["value"], jan["origin"], jan["changed_by"], jan["why"]) == (
        D("63.75"),
        "cli",
        "bob",
        "corrected again",
    )
    assert (jan["low"], jan["high"], jan["owner"]) == (D("50"), D("80"), "fin@example.com")  # kept
    assert jan["effective_to"] == dt.date(2026, 3, 8)
    march = reg[("loaded_hourly_cost", dt.date(2026, 3, 9))]
    assert (march["value"], march["unit"], march["effective_to"]) == (D("72"), "USD/hour", None)
    # nothing overwritten: every change is in the history with who, when, old, new and why
    h = history(settings, "loaded_hourly_cost")
    assert h[["old_value", "new_value", "changed_by", "why"]].values.tolist() == [
        [D("62.50"), D("64"), "ana", "typo in the file"],
        [D("64"), D("63.75"), "bob", "corrected again"],
        [D("63.75"), D("72"), "ana", "pay review"],
    ]
    assert all(isinstance(t, dt.datetime) for t in h["changed_at"])
    assert len(history(settings)) == 3 and history(settings, "headroom").empty
    assert "loaded_hourly_cost" in render_register(load_register(settings))
    assert "pay review" in render_history(h)


def test_set_assumption_refuses_bad_changes(settings):
    def refused(match: str, *args, **kwargs):
        with pytest.raises(AssumptionsError, match=match):
            set_assumption(settings, *args, **kwargs)

    refused(
        "unknown assumption 'loaded_hourly_cots'.*give --unit",
        "loaded_hourly_cots",
        "1",
        "why",
        "ana",
    )
    refused(
        r"above the high end of the range \[50, 80\]", "loaded_hourly_cost", "81", "why", "ana", JAN
    )
    refused(
        r"below the low end of the range \[50, 80\]", "loaded_hourly_cost", "49.99", "why", "ana"
    )
    refused("never a float", "loaded_hourly_cost", 60.5, "why", "ana")
    refused("not a number", "loaded_hourly_cost", "sixty", "why", "ana")
    refused("--why is required", "loaded_hourly_cost", "60", "  ", "ana")
    refused(
        "is in USD/hour, not EUR/hour", "loaded_hourly_cost", "60", "why", "ana", unit="EUR/hour"
    )
    refused(
        "already 62.5 from 2026-01-01: nothing to change",
        "loaded_hourly_cost",
        "62.5",
        "why",
        "ana",
        JAN,
    )
    assert history(settings).empty  # nothing was recorded
    # a new key needs its unit; it has no range until the file gives it one
    change = set_assumption(
        settings, "licence_seats", "40", "new contract", "ana", JAN, unit="seats"
    )
    assert (change.old_value, change.new_value, change.unit) == (None, D("40"), "seats")
    new = _register(settings)[("licence_seats", JAN)]
    assert (new["owner"], new["low"], new["origin"]) == ("ana", None, "cli")
    assert "new contract" in new["source"]


def test_default_effective_from_is_today(settings):
    change = set_assumption(settings, "headroom", "4", "peak season", "ana")
    assert change.effective_from == dt.datetime.now(dt.UTC).date()


def test_copy_register_into_gives_staging_the_merged_register(settings, tmp_path):
    raw = write_csv(tmp_path / "raw.csv", HEADER, RAW_ASSUMPTIONS)
    ingest_path(raw, "assumptions", settings, loaded_by="pytest")
    set_assumption(settings, "loaded_hourly_cost", "72", "pay review", "ana", dt.date(2026, 3, 9))
    con = duckdb.connect()
    ensure_schema(con)
    con.execute(f"attach '{settings.raw_path}' as src (read_only)")
    con.execute("insert into raw.assumptions select * from src.raw.assumptions")
    con.execute("insert into raw.loads select * from src.raw.loads")
    con.execute("detach src")
    copy = copy_register_into(con, settings)
    again = copy_register_into(con, settings)  # idempotent: replaces what it added
    assert copy == again and (copy.file_rows, copy.changes) == (len(REGISTER), 1)
    con.execute("create schema staging")
    con.execute(
        f"create view staging.assumptions as {(SQL_DIR / 'staging' / 'assumptions.sql').read_text()}"
    )
    staged = {
        (k, eff): (v, origin)
        for k, eff, v, origin in con.execute(
            "select key, effective_from, value, origin from staging.assumptions"
        ).fetchall()
    }
    expected = {
        (r["key"], r["effective_from"]): (r["value"], r["origin"])
        for r in load_register(settings).to_dict("records")
    }
    assert staged == expected
    assert staged[("loaded_hourly_cost", dt.date(2026, 3, 9))] == (D("72"), "cli")
    assert con.execute(
        "select changed_by, why, old_value from raw.assumption_register where origin = 'cli'"
    ).fetchall() == [("ana", "pay review", D("62.5"))]
    assert con.execute(
        "select count(*) from raw.assumptions where _load_id like 'register-%'"
    ).fetchall() == [(len(REGISTER) + 1,)]
    con.close()


def test_copy_register_into_refuses_an_invalid_file(settings):
    Path(settings.assumptions_file).write_text(
        "key,effective_from,value,unit,owner,source\nx,2026-01-01,abc,u,me,s\n"
    )
    con = duckdb.connect()
    ensure_schema(con)
    with pytest.raises(AssumptionsError, match="column value: 'abc' is not a number"):
        copy_register_into(con, settings)
    con.close()


def test_reading_creates_no_stores(tmp_path):
    s = settings_for(tmp_path)
    assert load_register(s).empty and history(s).empty
    assert not s.raw_path.exists() and not s.state_path.exists()
