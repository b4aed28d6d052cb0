"""outcomes.build.full and outcomes.store.snapshot on real DuckDB files: long table, tests, manifest, failures;
outcomes.store.rebuild (the same build in a child process)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from outcomes.build.errors import BuildError, RawStoreMissing
from outcomes.build.full import build_snapshot
from outcomes.store.manifest_file import manifest_json_path
from outcomes.store.rebuild import RebuildFailed, rebuild_snapshot
from outcomes.store.snapshot import (
    SnapshotMissing,
    current_build_id,
    open_snapshot,
    snapshot_identity,
)
from tests.buildfixtures import (
    EVENTS_PER_CELL,
    N_EVENTS,
    make_raw_store,
    metric,
    settings_for,
    standard_sql,
    write_sql,
)


def rows(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


@pytest.fixture
def project(tmp_path):
    """(settings, sql_dir) with the standard raw store and SQL folder."""
    make_raw_store(tmp_path / "store.duckdb")
    sql_dir = standard_sql(tmp_path / "sql")
    return settings_for(tmp_path, sql_dir), sql_dir


def expected_accuracy() -> dict[str, tuple[float, float]]:
    """(numerator, denominator) per week: events i=0,2 of each cell labelled, i=0 correct."""
    out: dict[str, list[float]] = {}
    for (week, _), count in EVENTS_PER_CELL.items():
        labelled = len(range(0, count, 2))
        correct = len(range(0, count, 4))
        num, den = out.setdefault(week, [0.0, 0.0])
        out[week] = [num + correct, den + labelled]
    return {w: (n, d) for w, (n, d) in out.items()}


def test_build_writes_long_table_manifest_and_swaps_in(project):
    settings, sql_dir = project
    messages: list[str] = []
    result = build_snapshot(settings, progress=messages.append)

    assert result.status == "ok" and result.ok
    assert result.path == settings.warehouse_path and settings.warehouse_path.exists()
    assert {o.status for o in result.objects} == {"ok"}
    assert any("metrics.accuracy: ok" in m for m in messages)
    # nothing left beside the warehouse but the manifest
    assert sorted(p.name for p in settings.warehouse_path.parent.iterdir()) == [
        "warehouse.duckdb",
        "warehouse.duckdb.manifest.json",
    ]

    con = open_snapshot(settings)
    try:
        # staging views and metric tables
        assert rows(con, "select count(*) from staging.events") == [(N_EVENTS,)]
        assert rows(con, "select count(*) from metrics.event_count") == [(6,)]
        counts = Counter()
        for metric_name, n in rows(con, "select metric, count(*) from metric_values group by 1"):
            counts[metric_name] = n
        assert counts == {"event_count": 6, "accuracy": 3, "latency_mean": 3, "weekly_total": 3}

        # dimensions: canonical JSON with sorted keys; '{}' when none; extras as JSON
        dims = rows(
            con,
            "select week_start::varchar, dimensions, value from metric_values "
            "where metric = 'event_count' order by 1, 2",
        )
        assert dims[0] == ("2026-03-02", '{"segment":"ent"}', 2.0)
        assert {(w, json.loads(d)["segment"]): v for w, d, v in dims} == {
            k: float(v) for k, v in EVENTS_PER_CELL.items()
        }
        assert rows(
            con, "select distinct dimensions from metric_values where metric = 'accuracy'"
        ) == [("{}",)]
        extras = rows(
            con,
            "select extras from metric_values where metric = 'latency_mean' order by week_start",
        )
        assert [json.loads(e) for (e,) in extras] == [
            {"n": 5, "note": "x"},
            {"n": 5, "note": "x"},
            {"n": 5, "note": "x"},
        ]
        assert rows(
            con, "select distinct extras from metric_values where metric = 'event_count'"
        ) == [("{}",)]

        # ratio: numerator and denominator kept, value = numerator / denominator
        acc = {
            w: (n, d, v)
            for w, n, d, v in rows(
                con,
                "select week_start::varchar, numerator, denominator, value "
                "from metric_values where metric = 'accuracy'",
            )
        }
        for week, (num, den) in expected_accuracy().items():
            assert acc[week] == (num, den, pytest.approx(num / den))
        # metric on a metric
        assert rows(con, "select sum(value) from metric_values where metric = 'weekly_total'") == [
            (N_EVENTS,)
        ]

        # manifest
        [(build_id, status, sql_dir_text, settings_json, fingerprint)] = rows(
            con,
            "select build_id, status, sql_dir, settings, raw_fingerprint from main.build_manifest",
        )
        assert build_id == result.build_id and status == "ok" and sql_dir_text == str(sql_dir)
        assert json.loads(settings_json)["timezone"] == "UTC"
        assert fingerprint == hashlib.sha256(b"L1:sha-a\nL2:sha-b\nL3:sha-c").hexdigest()
        objects = {
            r[0]: r[1:]
            for r in rows(
                con,
                "select name, kind, path, sql_sha256, rows, duration_ms, status, error, depends_on, "
                "load_ids from main.build_objects where build_id = ?",
                [build_id],
            )
        }
        assert set(objects) == {
            "events",
            "labels",
            "event_count",
            "accuracy",
            "latency_mean",
            "weekly_total",
        }
        for name, (kind, path, sha, _n, duration, status, error, _, _) in objects.items():
            file = sql_dir / ("staging" if kind == "staging" else "metrics") / f"{name}.sql"
            assert path == str(file)
            assert sha == hashlib.sha256(file.read_bytes()).hexdigest()
            assert status == "ok" and error is None and duration >= 0
        assert objects["events"][3] == N_EVENTS and objects["event_count"][3] == 6
        assert objects["accuracy"][0] == "metric" and objects["events"][0] == "staging"
        assert objects["accuracy"][7] == ["staging.events", "staging.labels"]
        assert objects["weekly_total"][7] == ["metrics.event_count"]
        assert objects["accuracy"][8] == ["L1", "L2", "L3"]  # events (L1, L2) + labels (L3)
        assert objects["weekly_total"][8] == ["L1", "L2"]  # through event_count -> events
        assert objects["labels"][8] == ["L3"]

        # header tests: all pass on good data
        tests = rows(
            con, "select name, test, status, failing_rows from main.build_tests order by 1, 2"
        )
        assert ("events", "unique(event_id)", "pass", 0) in tests
        assert ("accuracy", "range(value, 0, 1)", "pass", 0) in tests
        # 5 written + 3 grain tests implied by dimensions + 3 not_null(value) implied (the fixture
        # metrics list no not_null test)
        assert {t[2] for t in tests} == {"pass"} and len(tests) == 11
        # raw schema copied, with the ledger; contract tables the store lacks exist, empty
        assert rows(con, "select count(*) from raw.loads") == [(3,)]
        assert rows(con, "select count(*) from raw.work_items") == [(0,)]
        # macros come with the file
        assert rows(con, "select week_of(timestamp '2026-03-04 10:00:00')::varchar") == [
            ("2026-03-02",)
        ]
    finally:
        con.close()

    # the JSON manifest beside the warehouse says the same
    doc = json.loads(manifest_json_path(settings).read_text())
    assert doc["build_id"] == result.build_id and doc["status"] == "ok"
    assert {o["name"]: o["rows"] for o in doc["objects"]}["event_count"] == 6
    assert current_build_id(settings) == result.build_id


def test_failing_metric_is_recorded_dependents_skipped_others_built(project, tmp_path):
    settings, sql_dir = project
    write_sql(
        sql_dir,
        {
            # runs into a conversion error only when executed (varchar / number)
            "metrics/broken": metric(
                "broken",
                "select\n    week_start,\n    segment / 2 as value\nfrom staging.events",
            ),
            "metrics/after_broken": metric(
                "after_broken", "select week_start, value from metrics.broken"
            ),
            "metrics/after_after": metric(
                "after_after", "select week_start, value from metrics.after_broken"
            ),
            # invalid definition: recorded as failed too, without stopping the build
            "metrics/bad_header": metric(
                "bad_header", "select 1 as week_start, 2 as value", unit="furlongs"
            ),
        },
    )
    result = build_snapshot(settings)

    assert result.status == "failed" and not result.ok
    status = {o.name: o for o in result.objects}
    assert status["broken"].status == "failed"
    assert "broken.sql line 12" in status["broken"].error  # "segment / 2" is on file line 12
    assert status["broken"].rows is None
    assert status["after_broken"].status == "skipped"
    assert "metrics.broken (failed)" in status["after_broken"].error
    assert status["after_after"].status == "skipped"
    assert "metrics.after_broken (skipped)" in status["after_after"].error
    assert status["bad_header"].status == "failed" and "'furlongs'" in status["bad_header"].error
    assert "line 7" in status["bad_header"].error
    for name in ("events", "labels", "event_count", "accuracy", "latency_mean", "weekly_total"):
        assert status[name].status == "ok"

    # the snapshot was still swapped in, and says what failed
    con = open_snapshot(settings)
    try:
        assert rows(con, "select status from build_manifest") == [("failed",)]
        assert dict(rows(con, "select name, status from build_objects"))["after_after"] == "skipped"
        assert rows(con, "select count(*) from metric_values where metric = 'broken'") == [(0,)]
        assert rows(con, "select count(*) from metric_values where metric = 'event_count'") == [
            (6,)
        ]
        tables = {
            t
            for (t,) in rows(
                con, "select table_name from duckdb_tables() where schema_name = 'metrics'"
            )
        }
        assert "broken" not in tables and "event_count" in tables
    finally:
        con.close()


def test_failing_staging_view_is_dropped_and_its_metrics_skipped(project):
    settings, sql_dir = project
    write_sql(
        sql_dir,
        {
            "staging/bad_view": (
                "/* ---\nname: bad_view\ndescription: d\ngrain: g\nkind: staging\n--- */\n"
                "select event_id, no_such_column from raw.ai_events\n"
            ),
            "metrics/on_bad_view": metric(
                "on_bad_view",
                "select current_date as week_start, count(*) as value from staging.bad_view",
            ),
        },
    )
    result = build_snapshot(settings)
    assert result.object("bad_view").status == "failed"
    assert "no_such_column" in result.object("bad_view").error
    assert result.object("on_bad_view").status == "skipped"
    con = open_snapshot(settings)
    try:
        views = {
            v
            for (v,) in rows(
                con, "select view_name from duckdb_views() where schema_name = 'staging'"
            )
        }
        assert views == {"events", "labels"}
    finally:
        con.close()


def test_each_header_test_type_can_pass_and_fail(project):
    settings, sql_dir = project
    checks = (
        "\n  - not_null(value)\n  - not_null(label)"
        "\n  - unique(week_start)\n  - unique(week_start, label)"
        "\n  - range(value, 0, 10)\n  - range(value, 0, 2)\n  - range(value, null, 3)"
        "\n  - accepted_values(label, ['a', 'b', 'c'])\n  - accepted_values(label, ['a', 'b'])"
    )
    write_sql(
        sql_dir,
        {
            "metrics/checked": metric(
                "checked",
                "select * from (values\n"
                "    (date '2026-03-02', 1.0, 'a'),\n"
                "    (date '2026-03-02', 3.0, 'b'),\n"
                "    (date '2026-03-09', 5.0, null),\n"
                "    (date '2026-03-16', 2.0, 'c')\n"
                ") as t(week_start, value, label)",
                tests=checks,
            ).replace("select * from (values", "select week_start, value, label from (values")
        },
    )
    result = build_snapshot(settings)
    assert result.status == "ok"  # failing tests are reported; they do not fail the build
    got = {t.test: (t.status, t.failing_rows) for t in result.tests if t.name == "checked"}
    assert got == {
        "not_null(value)": ("pass", 0),
        "not_null(label)": ("fail", 1),
        "unique(week_start)": ("fail", 1),  # one duplicated week
        "unique(week_start, label)": ("pass", 0),
        "range(value, 0, 10)": ("pass", 0),
        "range(value, 0, 2)": ("fail", 2),  # 3.0 and 5.0
        "range(value, null, 3)": ("fail", 1),  # 5.0
        "accepted_values(label, ['a', 'b', 'c'])": ("pass", 0),
        "accepted_values(label, ['a', 'b'])": ("fail", 1),  # 'c'; null is not checked
    }
    failed = next(t for t in result.tests if t.test == "range(value, 0, 2)")
    assert "2 failing rows" in failed.message and "metrics.checked" in failed.message
    con = open_snapshot(settings)
    try:
        stored = rows(
            con,
            "select status, failing_rows from build_tests where name = 'checked' and test = 'not_null(label)'",
        )
        assert stored == [("fail", 1)]
    finally:
        con.close()


def test_header_test_that_cannot_run_is_an_error(project):
    settings, sql_dir = project
    # A staging view that selects '*' cannot be checked for columns before the build.
    write_sql(
        sql_dir,
        {
            "staging/star": (
                "/* ---\nname: star\ndescription: d\ngrain: g\nkind: staging\n"
                "tests:\n  - not_null(no_such_column)\n--- */\nselect * from raw.ai_events\n"
            )
        },
    )
    result = build_snapshot(settings)
    [test] = [t for t in result.tests if t.name == "star"]
    assert test.status == "error" and "no_such_column" in test.message


def test_missing_raw_store_says_what_to_run(tmp_path):
    settings = settings_for(tmp_path, standard_sql(tmp_path / "sql"))
    with pytest.raises(RawStoreMissing, match="outcomes demo.*outcomes ingest"):
        build_snapshot(settings)
    assert not settings.warehouse_path.exists()


def test_a_rebuild_in_a_child_process_returns_the_manifest_or_says_why_it_could_not_run(project):
    settings, _ = project
    built = rebuild_snapshot(settings)
    assert built.ok and built.build_id == current_build_id(settings)
    assert built.object("metrics.weekly_total").status == "ok"
    settings.raw_path.unlink()
    with pytest.raises(RebuildFailed, match="no raw store at .*outcomes demo"):
        rebuild_snapshot(settings)
    assert current_build_id(settings) == built.build_id  # the snapshot stays


def test_raw_store_without_raw_tables_says_what_to_run(tmp_path):
    duckdb.connect(str(tmp_path / "store.duckdb")).close()
    settings = settings_for(tmp_path, standard_sql(tmp_path / "sql"))
    with pytest.raises(RawStoreMissing, match="no raw tables.*outcomes demo"):
        build_snapshot(settings)
    assert not settings.warehouse_path.exists()
    assert list(settings.warehouse_path.parent.iterdir()) == []  # the temp file is gone


def test_snapshot_starts_from_the_raw_store_file_wal_included_and_only_schema_raw(project):
    """The build copies the raw store file: rows still in its WAL are in the snapshot, and
    whatever else the file holds (outside schema raw) is not."""
    settings, _ = project
    con = duckdb.connect(str(settings.raw_path))
    con.execute("create table main.scratch as select 1 as x")
    con.execute("create schema notes")
    con.execute("create view notes.v as select 1 as y")
    con.close()
    con = duckdb.connect(str(settings.raw_path))
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute(
        "insert into raw.ai_events select 'wal-1', timestamp '2026-03-10 10:00', 'v1', 'smb', "
        "100, 0.5, 'L1', 999999"
    )
    con.close()
    assert settings.raw_path.with_name(settings.raw_path.name + ".wal").exists()

    result = build_snapshot(settings)

    assert result.ok
    snap = open_snapshot(settings)
    try:
        assert rows(snap, "select count(*) from raw.ai_events where event_id = 'wal-1'") == [(1,)]
        leftovers = rows(
            snap,
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where table_name in ('scratch', 'v') union all select schema_name || '.' || "
            "view_name from duckdb_views() where view_name = 'v'",
        )
        assert leftovers == []
        assert rows(snap, "select count(*) from duckdb_schemas() where schema_name = 'notes'") == [
            (0,)
        ]
    finally:
        snap.close()


def test_a_copy_that_fails_half_way_leaves_nothing_behind(project, monkeypatch):
    import shutil

    settings, _ = project

    def full_disk(src, dst, *args, **kwargs):
        Path(dst).write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full_disk)
    with pytest.raises(OSError, match="No space left"):
        build_snapshot(settings)
    assert list(settings.warehouse_path.parent.iterdir()) == []


def test_empty_raw_tables_make_a_valid_empty_build(tmp_path):
    make_raw_store(tmp_path / "store.duckdb", rows=False)
    settings = settings_for(tmp_path, standard_sql(tmp_path / "sql"))
    result = build_snapshot(settings)
    assert result.status == "ok"
    assert {o.rows for o in result.objects} == {0}
    assert {o.load_ids for o in result.objects} == {()}
    assert {t.status for t in result.tests} == {"pass"}
    con = open_snapshot(settings)
    try:
        assert rows(con, "select count(*) from metric_values") == [(0,)]
        assert rows(con, "select status from build_manifest") == [("ok",)]
    finally:
        con.close()


def test_only_builds_the_named_objects_and_their_inputs(project):
    settings, _ = project
    result = build_snapshot(settings, only=["weekly_total"])
    assert [o.qualified for o in result.objects] == [
        "staging.events",
        "metrics.event_count",
        "metrics.weekly_total",
    ]
    with pytest.raises(BuildError, match="no SQL definition named 'nope'"):
        build_snapshot(settings, only=["nope"])


def test_snapshot_is_read_only_and_missing_snapshot_says_run_build(project, tmp_path):
    settings, _ = project
    with pytest.raises(SnapshotMissing, match="run `outcomes build`"):
        open_snapshot(settings)
    assert snapshot_identity(settings) is None and current_build_id(settings) is None
    build_snapshot(settings)
    con = open_snapshot(settings)
    try:
        for statement in ("create table metrics.x as select 1", "delete from metric_values"):
            with pytest.raises(duckdb.Error, match="read-only"):
                con.execute(statement)
    finally:
        con.close()


def test_new_connections_see_the_new_build_while_an_old_one_is_held(project):
    settings, _ = project
    first = build_snapshot(settings)
    identity = snapshot_identity(settings)
    assert identity is not None and identity[0] == first.build_id
    held = open_snapshot(settings)
    try:
        second = build_snapshot(settings)
        assert second.build_id != first.build_id
        new_identity = snapshot_identity(settings)
        assert new_identity[0] == second.build_id and new_identity[1:] != identity[1:]
        # the held connection keeps the old snapshot; a new one sees the new build
        assert rows(held, "select build_id from build_manifest") == [(first.build_id,)]
        fresh = open_snapshot(settings)
        try:
            assert rows(fresh, "select build_id from build_manifest") == [(second.build_id,)]
        finally:
            fresh.close()
        assert rows(held, "select count(*) from metric_values") == [(15,)]
    finally:
        held.close()
