"""Incremental build == full build, after one new week arrives (small demo data)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from outcomes.build.full import build_snapshot
from outcomes.config import Settings
from outcomes.demo_pipeline import run_demo
from outcomes.ingest.load import ingest_path
from outcomes.store.snapshot import open_file
from tests.conftest import ROOT, settings_for

sys.path.insert(0, str(ROOT / "benchmarks"))
from newweek import write_new_week  # noqa: E402

END = dt.date(2026, 3, 4)  # in the past, so the shifted week is not in the future
AS_OF = dt.datetime(2026, 3, 20, 12, 0, 0)


def _plain(v: object) -> object:
    """Numbers as floats (also inside JSON extras), for a tolerant comparison."""
    if isinstance(v, (float, Decimal)):
        return float(v)
    if isinstance(v, str) and v.startswith("{"):
        try:
            return tuple(sorted((k, _plain(x)) for k, x in json.loads(v).items()))
        except ValueError:
            return v
    return v


def _rounded(v: object) -> object:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, tuple):
        return tuple(_rounded(x) for x in v)
    return v


def _key_full(row: tuple) -> str:
    # sort on the values with numbers rounded, so the rows of two builds line up
    return repr(_rounded(row))


def _norm(row: tuple) -> tuple:
    return tuple(_plain(v) for v in row)


def _close(a: object, b: object) -> bool:
    # DuckDB sums doubles in parallel, in no fixed order: two full builds of the same data
    # can differ in the last bits (and so can DECIMALs cast from such sums)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def same_rows(a: list[tuple], b: list[tuple]) -> bool:
    """Equal row multisets, doubles to 1e-9 relative."""
    return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))


def _tables(path: Path) -> dict[str, list]:
    """Every metric/ROI/staging table and the long table, rows sorted (order-free compare);
    staging_data's views too (a key_local staging table's rows are in parts behind a view)."""
    con = open_file(path)
    try:
        names = [
            f"{s}.{t}"
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where schema_name in ('staging_data', 'metrics', 'roi') union all "
                "select schema_name, view_name from duckdb_views() "
                "where schema_name = 'staging_data' order by 1, 2"
            ).fetchall()
        ]
        assert "staging_data.ai_features" in names, names  # the largest staging relation
        out = {
            n: sorted(map(_norm, con.execute(f"select * from {n}").fetchall()), key=_key_full)
            for n in names
        }
        for extra in ("main.metric_values", "main.alerts", "raw.loads"):
            out[extra] = sorted(
                map(_norm, con.execute(f"select * from {extra}").fetchall()), key=_key_full
            )
        out["tests"] = sorted(
            con.execute("select name, test, status, failing_rows from main.build_tests").fetchall()
        )
        return out
    finally:
        con.close()


def _incremental_and_full(settings: Settings, full_path: Path) -> tuple:
    """An incremental build of ``settings`` and a full build of the same raw store into
    ``full_path``: (incremental result, full result, the full build's settings)."""
    inc = build_snapshot(settings, incremental=True)
    full_settings = settings.model_copy(update={"warehouse_path": full_path})
    return inc, build_snapshot(full_settings), full_settings


def _rows(path: Path, query: str) -> list[tuple]:
    con = open_file(path)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def _a_new_week_built_both_ways(root: Path, settings: Settings) -> tuple:
    """The demo, then one more week ingested, built incrementally and in full (into
    ``root/full.duckdb``): (incremental result, full result, the full build's settings)."""
    assert run_demo(settings, events=6_000, end=END, loaded_by="pytest") == 0
    last_complete = END - dt.timedelta(days=END.weekday() + 7)
    new = write_new_week(settings.demo_dir, root / "new-week", last_complete)
    for table, path in new.items():
        ingest_path(path, table, settings, loaded_by="pytest")
    return _incremental_and_full(settings, root / "full.duckdb")


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("incremental")
    settings = settings_for(root, build_as_of=AS_OF)
    inc, full, full_settings = _a_new_week_built_both_ways(root, settings)
    yield inc, full, settings, full_settings


def test_incremental_equals_full(two_builds):
    inc, full, settings, full_settings = two_builds
    assert inc.ok and full.ok
    a, b = _tables(settings.warehouse_path), _tables(full_settings.warehouse_path)
    assert a.keys() == b.keys()
    different = [name for name in a if not same_rows(a[name], b[name])]
    assert different == []


def test_manifest_says_what_was_reused(two_builds):
    inc, _, settings, _ = two_builds
    con = open_file(settings.warehouse_path)
    try:
        modes = dict(
            con.execute(
                "select name, mode from main.build_reuse where kind != 'staging'"
            ).fetchall()
        )
    finally:
        con.close()
    assert modes["latency_p95"] == "weeks"  # week-local: only the new week(s) recomputed
    # CBPE on 6,000 events: the reference window holds fewer labels than the minimum, so it
    # runs to the last complete week, and the new week changes the calibration: all weeks
    assert modes["estimated_accuracy"] == "full"
    assert modes["mean_time_to_detect"] == "reused"  # reads incidents only: nothing new
    # staging.work_items has two week columns (opened, closed): the weeks of either changed
    assert modes["handle_minutes_median"] == "weeks"
    assert set(modes.values()) <= {"reused", "weeks", "full"}


def test_the_rows_of_earlier_loads_are_not_counted_again(two_builds):
    """staging.load_rows counts the new loads only (their files; every earlier load's count
    is kept), and the data-quality metrics read it instead of every raw row."""
    _, _, settings, _ = two_builds
    [(mode, reason)] = _rows(
        settings.warehouse_path,
        "select mode, reason from main.build_reuse where name = 'load_rows'",
    )
    assert mode == "keys", reason
    [(new, counted)] = _rows(
        settings.warehouse_path,
        "select count(*), count(*) filter (where load_id in (select _load_id from "
        "staging.load_rows)) from raw.loads where table_name in "
        "('ai_events', 'ai_features', 'feedback', 'work_items') and rows_accepted > 0",
    )
    assert new == counted > 4  # every load with accepted rows has its row, the new week's too


def test_incremental_without_base_is_full(tmp_path):
    settings = settings_for(tmp_path)
    messages: list[str] = []
    assert run_demo(settings, events=2_000, end=END, build=False) == 0
    result = build_snapshot(settings, progress=messages.append, incremental=True)
    assert result.ok
    assert any("no current snapshot; full build" in m for m in messages)


def test_a_changed_assumption_is_not_reused(tmp_path):
    # no new load, only the register file changed: the ROI must follow it, as a full build does
    register = tmp_path / "assumptions.csv"
    settings = settings_for(tmp_path / "p", assumptions_file=register)
    assert run_demo(settings, events=3_000, end=END, loaded_by="pytest") == 0
    register.write_text(
        (settings.demo_dir / "assumptions.csv").read_text()
    )  # the demo's, as a file
    with register.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["key"] == "loaded_hourly_cost":
            row["value"] = str(Decimal(row["value"]) + 20)
            row["high"] = str(Decimal(row["high"]) + 20)
    with register.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    inc_result, full_result, full_settings = _incremental_and_full(
        settings, tmp_path / "full.duckdb"
    )
    assert inc_result.ok and full_result.ok
    inc, full = (
        _rows(path, "select week_start, system, amount from roi.time_saved order by all")
        for path in (settings.warehouse_path, full_settings.warehouse_path)
    )
    assert inc and inc == full
    mode = _rows(
        settings.warehouse_path, "select mode from main.build_reuse where name = 'assumptions'"
    )
    assert mode == [("full",)]


def test_corrections_of_late_weeks_recompute_only_those_drift_weeks(tmp_path):
    """Correcting loads: some events of the week before the last complete one move into it,
    some features of the last complete week's events get new values: the keyed staging
    recomputes the touched keys, its changed weeks are where they were and are now, so the
    drift metrics recompute only those weeks, and match a full build."""
    settings = settings_for(tmp_path / "p", build_as_of=AS_OF)
    assert run_demo(settings, events=6_000, end=END, loaded_by="pytest") == 0
    last = END - dt.timedelta(days=END.weekday() + 7)  # the last complete week
    lo, hi = last - dt.timedelta(days=7), last + dt.timedelta(days=7)
    src, fixes = settings.demo_dir, tmp_path / "fixes"
    fixes.mkdir()
    con = duckdb.connect()
    late = (
        f"from read_csv('{src}/ai_events.csv', all_varchar = true, header = true) "
        f"where try_cast(occurred_at as timestamp) >= '{lo}' "
        f"and try_cast(occurred_at as timestamp) < '{hi}'"
    )
    con.execute(
        "copy (select * replace (strftime(occurred_at::timestamp + interval 7 day, "
        f"'%Y-%m-%d %H:%M:%S') as occurred_at) {late} "
        f"and try_cast(occurred_at as timestamp) < '{last}' "
        f"and hash(event_id) % 5 = 0) to '{fixes}/ai_events.csv' (header)"
    )
    con.execute(
        "copy (select * replace (try_cast(value_num as double) * 3 + 1 as value_num) "
        f"from read_csv('{src}/ai_features.csv', all_varchar = true, header = true) "
        f"where try_cast(value_num as double) is not null and event_id in (select event_id {late} "
        f"and try_cast(occurred_at as timestamp) >= '{last}') "
        f"and hash(event_id) % 4 = 1) to '{fixes}/ai_features.csv' (header)"
    )
    con.close()
    for table in ("ai_events", "ai_features"):
        [result] = ingest_path(fixes / f"{table}.csv", table, settings, loaded_by="pytest")
        assert result.rows_corrected > 0, result
    inc, full, full_settings = _incremental_and_full(settings, tmp_path / "full.duckdb")
    assert inc.ok and full.ok
    a, b = _tables(settings.warehouse_path), _tables(full_settings.warehouse_path)
    assert a.keys() == b.keys()
    assert [n for n in a if not same_rows(a[n], b[n])] == []
    reuse = {
        n: (m, w)
        for n, m, w in _rows(
            settings.warehouse_path,
            "select name, mode, weeks from main.build_reuse "
            "where name in ('ai_features', 'feature_value_counts', 'drift_numeric')",
        )
    }
    assert reuse["ai_features"][0] == "keys"
    assert inc.object("staging.ai_features").rows == full.object("staging.ai_features").rows
    # the corrected keys had rows in the full build's parts: the new part replaces exactly
    # those (outcomes/build/staging_parts.py), so the equality above went through that path
    replaced = dict(
        _rows(
            settings.warehouse_path,
            "select object, count(distinct k) from main.staging_replaced group by 1",
        )
    )
    # the events whose features changed, and those moved to another week (staging.ai_features
    # carries its event's week: a keyed input), each with its feature rows
    [(features_fixed, either)] = (
        duckdb.connect()
        .execute(
            f"select count(distinct event_id) filter (where f), count(distinct event_id) from ("
            f"select event_id, true as f from read_csv('{fixes}/ai_features.csv') union all "
            f"select event_id, false from read_csv('{fixes}/ai_events.csv'))"
        )
        .fetchall()
    )
    assert 0 < features_fixed <= replaced["ai_features"] <= either, (replaced, either)
    assert replaced["ai_events"] > 0, replaced
    mode, weeks = reuse["drift_numeric"]
    # lo: the moved events left it (known from staging.ai_events); last: they arrived, and
    # the corrected features are there
    assert mode == "weeks" and set(weeks) <= {lo, last, hi} and lo in weeks and last in weeks
    # the value counts drift reads: a staging table recomputed by week, the same weeks
    counts_mode, counts_weeks = reuse["feature_value_counts"]
    assert counts_mode == "weeks" and set(counts_weeks) <= {lo, last, hi}, reuse
    assert lo in counts_weeks and last in counts_weeks


def _count_fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the calibration fits (one entry per fit) of the builds that follow."""
    from outcomes.build import calibration

    fits: list[int] = []
    real = calibration.fit_rows

    def counted(rows):
        fits.append(1)
        return real(rows)

    monkeypatch.setattr(calibration, "fit_rows", counted)
    return fits


def test_a_new_week_after_a_full_reference_window_recomputes_only_that_cbpe_week(
    tmp_path, monkeypatch
):
    """With enough labels in the reference weeks, a new week leaves the CBPE calibration as it
    was: the incremental build keeps the base's fit (its reference rows have the same digest)
    instead of fitting again, estimated_accuracy recomputes the new week only, and both match
    a full build, which fits."""
    from outcomes.config import CbpeSettings

    settings = settings_for(
        tmp_path / "p", build_as_of=AS_OF, cbpe=CbpeSettings(min_reference_labels=50)
    )
    assert run_demo(settings, events=6_000, end=END, loaded_by="pytest") == 0
    last_complete = END - dt.timedelta(days=END.weekday() + 7)
    new = write_new_week(settings.demo_dir, tmp_path / "new-week", last_complete)
    for table, path in new.items():
        ingest_path(path, table, settings, loaded_by="pytest")
    fits = _count_fits(monkeypatch)
    inc = build_snapshot(settings, incremental=True)
    assert fits == []  # the base's fit is kept
    full_settings = settings.model_copy(update={"warehouse_path": tmp_path / "full.duckdb"})
    full = build_snapshot(full_settings)
    assert fits == [1]
    assert inc.ok and full.ok
    [(mode, weeks)] = _rows(
        settings.warehouse_path,
        "select mode, weeks from main.build_reuse where name = 'estimated_accuracy'",
    )
    assert mode == "weeks" and len(weeks) <= 2, (mode, weeks)
    a, b = _tables(settings.warehouse_path), _tables(full_settings.warehouse_path)
    assert same_rows(a["metrics.estimated_accuracy"], b["metrics.estimated_accuracy"])
    assert [n for n in a if not same_rows(a[n], b[n])] == []


def test_labels_that_change_the_calibration_recompute_every_cbpe_week(tmp_path, monkeypatch):
    """Corrected labels of reference-window events change the CBPE calibration: every week's
    estimate moves, so estimated_accuracy is rebuilt in full, and matches a full build."""
    settings = settings_for(tmp_path / "p", build_as_of=AS_OF)
    assert run_demo(settings, events=6_000, end=END, loaded_by="pytest") == 0
    fixes = tmp_path / "fixes"
    fixes.mkdir()
    con = duckdb.connect()
    con.execute(
        "copy (select * replace (case when correct = 'true' then 'false' else 'true' end "
        f"as correct) from read_csv('{settings.demo_dir}/feedback.csv', all_varchar = true, "
        "header = true) where correct in ('true', 'false') "
        "order by try_cast(labeled_at as timestamp), event_id limit 400) "
        f"to '{fixes}/feedback.csv' (header)"
    )
    con.close()
    [result] = ingest_path(fixes / "feedback.csv", "feedback", settings, loaded_by="pytest")
    assert result.rows_corrected > 300, result  # the demo dirt quarantines a few
    fits = _count_fits(monkeypatch)
    inc, full, full_settings = _incremental_and_full(settings, tmp_path / "full.duckdb")
    assert fits == [1, 1]  # other reference rows: the incremental build fits again
    assert inc.ok and full.ok
    [(mode, reason)] = _rows(
        settings.warehouse_path,
        "select mode, reason from main.build_reuse where name = 'estimated_accuracy'",
    )
    assert mode == "full" and "main.calibration" in reason
    a, b = _tables(settings.warehouse_path), _tables(full_settings.warehouse_path)
    assert same_rows(a["metrics.estimated_accuracy"], b["metrics.estimated_accuracy"])
    assert [n for n in a if not same_rows(a[n], b[n])] == []


VIEW_READING_RAW = """/* ---
name: event_weeks_v
description: The newest version of each event and its week, straight from raw (a test view).
grain: One row per event_id.
kind: staging
tags: [key_local(event_id), view]
--- */
select e.event_id, week_of(e.occurred_at) as week_start
from raw.ai_events as e
left join raw.loads as l on l.load_id = e._load_id
qualify row_number() over (
    partition by e.event_id order by l.started_at desc, e._load_id desc, e._row_number desc
) = 1
"""

METRIC_ON_THE_VIEW = """/* ---
name: events_v
title: Events (through a view)
description: Events per week, read through staging.event_weeks_v.
grain: One row per reporting week.
kind: model
unit: count
direction: higher_is_better
tags: [week_local]
--- */
select week_start, count(*)::double as value
from staging.event_weeks_v
group by week_start
"""


def test_a_view_that_takes_its_week_from_raw_recomputes_the_week_a_key_left(tmp_path):
    """A `view` staging whose week comes from its own raw table: an event moved to a later
    week changes the week it left too (found by running the view's SQL on the earlier loads'
    rows of the touched keys), so the week-local metric on it matches a full build."""
    import shutil

    sql_dir = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql_dir)
    (sql_dir / "staging" / "event_weeks_v.sql").write_text(VIEW_READING_RAW)
    (sql_dir / "metrics" / "events_v.sql").write_text(METRIC_ON_THE_VIEW)
    settings = settings_for(tmp_path / "p", sql_dir=sql_dir, build_as_of=AS_OF)
    assert run_demo(settings, events=3_000, end=END, loaded_by="pytest") == 0
    last = END - dt.timedelta(days=END.weekday() + 7)
    lo = last - dt.timedelta(days=7)
    con = duckdb.connect()
    con.execute(
        "copy (select * replace (strftime(try_cast(occurred_at as timestamp) + interval 7 "
        "day, '%Y-%m-%d %H:%M:%S') as occurred_at) "
        f"from read_csv('{settings.demo_dir}/ai_events.csv', all_varchar = true, "
        f"header = true) where try_cast(occurred_at as timestamp) >= '{lo}' "
        f"and try_cast(occurred_at as timestamp) < '{last}' and hash(event_id) % 3 = 0) "
        f"to '{tmp_path}/moved.csv' (header)"
    )
    con.close()
    [result] = ingest_path(tmp_path / "moved.csv", "ai_events", settings, loaded_by="pytest")
    assert result.rows_corrected > 0
    inc, full, full_settings = _incremental_and_full(settings, tmp_path / "full.duckdb")
    assert inc.ok and full.ok
    query = "select week_start, value from metrics.events_v order by 1"
    assert _rows(settings.warehouse_path, query) == _rows(full_settings.warehouse_path, query)
    [(mode, weeks)] = _rows(
        settings.warehouse_path, "select mode, weeks from main.build_reuse where name = 'events_v'"
    )
    assert mode == "weeks" and lo in weeks and last in weeks
    # nothing stored for the view, its rows not counted (that would run its SQL once more)
    for result in (inc, full):
        view = result.object("staging.event_weeks_v")
        assert view.status == "ok" and view.rows is None
