"""The real build fits main.calibration before estimated_accuracy and value_at_risk (a small
demo, built with only those metrics and what they read)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from outcomes.build.full import build_snapshot
from outcomes.demo_pipeline import run_demo
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
    con = duckdb.connect(str(path), read_only=True)
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
    con = duckdb.connect(str(path), read_only=True)
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
    con = duckdb.connect(str(path), read_only=True)
    found = con.execute(
        "select name, test, status from main.build_tests "
        "where name in ('estimated_accuracy', 'value_at_risk')"
    ).fetchall()
    assert len(found) >= 10
    assert [r for r in found if r[2] != "pass"] == []
