"""The real build fits main.calibration before estimated_accuracy and value_at_risk (a small
demo, built with only those metrics and what they read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes.build.full import build_snapshot
from outcomes.demo_pipeline import run_demo
from outcomes.store.snapshot import open_file
from tests.conftest import DEMO_END, settings_for


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("cbpe-build")
    settings = settings_for(root)
    assert run_demo(settings, events=4000, end=DEMO_END, build=False, loaded_by="pytest") == 0
    said: list[str] = []
    result = build_snapshot(settings, progress=said.append, only=["metrics.value_at_risk"])
    assert result.status == "ok", [o.error for o in result.objects if o.error]
    return settings.warehouse_path, said


def test_every_system_has_a_calibration_row(built):
    path, said = built
    con = open_file(path)
    systems = con.execute("select distinct system from staging.ai_events order by 1").fetchall()
    fitted = con.execute(
        "select system, any_value(method), count(*), bool_and(point >= 0) "
        "from main.calibration group by system order by system"
    ).fetchall()
    assert [s for s, *_ in fitted] == [s for (s,) in systems]
    assert {m for _, m, *_ in fitted} <= {"isotonic", "identity", "none"}
    lines = [line for line in said if line.startswith("main.calibration:")]
    assert len(lines) == 1  # fitted once, before its first reader
    assert said.index(lines[0]) < next(
        i for i, line in enumerate(said) if line.startswith("metrics.estimated_accuracy:")
    )


def test_the_metrics_are_built_and_in_the_long_table(built):
    path, _ = built
    con = open_file(path)
    counts = dict(
        con.execute(
            "select metric, count(*) from main.metric_values "
            "where metric in ('estimated_accuracy', 'value_at_risk') group by metric"
        ).fetchall()
    )
    assert counts.get("estimated_accuracy", 0) > 0
    assert "value_at_risk" in counts
    flags = con.execute(
        "select distinct flag from metrics.estimated_accuracy where flag is not null"
    ).fetchall()
    assert {f for (f,) in flags} <= {"partial", "estimated"}


def test_their_header_tests_pass(built):
    path, _ = built
    con = open_file(path)
    found = con.execute(
        "select name, test, status from main.build_tests "
        "where name in ('estimated_accuracy', 'value_at_risk')"
    ).fetchall()
    assert len(found) >= 10
    assert [r for r in found if r[2] != "pass"] == []


def test_an_incremental_build_refits_and_equals_a_full_build(tmp_path: Path):
    """The staging views and the two CBPE metrics only (their own SQL folder); a new week
    arrives; the incremental build (which must not fall back to a full one: the macros are
    stored the same way every time) and a full build of the same raw store agree."""
    import datetime as dt
    import shutil
    import sys

    from outcomes.ingest.load import ingest_path
    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from newweek import write_new_week

    end, as_of = dt.date(2026, 3, 4), dt.datetime(2026, 3, 20, 12, 0, 0)
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql" / "staging", sql / "staging")
    (sql / "metrics").mkdir()
    for name in ("estimated_accuracy", "value_at_risk"):
        shutil.copy(ROOT / "sql" / "metrics" / f"{name}.sql", sql / "metrics")
    settings = settings_for(tmp_path, build_as_of=as_of, sql_dir=sql)
    assert run_demo(settings, events=3000, end=end, loaded_by="pytest") == 0
    last_complete = end - dt.timedelta(days=end.weekday() + 7)
    for table, path in write_new_week(settings.demo_dir, tmp_path / "new", last_complete).items():
        ingest_path(path, table, settings, loaded_by="pytest")
    said: list[str] = []
    assert build_snapshot(settings, incremental=True, progress=said.append).ok
    assert not [line for line in said if line.startswith("incremental:")], said
    assert len([line for line in said if line.startswith("main.calibration:")]) == 1
    full = settings.model_copy(update={"warehouse_path": tmp_path / "full.duckdb"})
    assert build_snapshot(full).ok
    for table in ("main.calibration", "metrics.estimated_accuracy", "metrics.value_at_risk"):
        found = []
        for path in (settings.warehouse_path, full.warehouse_path):
            con = open_file(path)
            found.append(sorted(con.execute(f"select * from {table}").fetchall(), key=repr))
            con.close()
        # bit for bit: the expected hits are summed as DECIMAL, in no thread-dependent order
        assert len(found[0]) > 0 and found[0] == found[1], table
