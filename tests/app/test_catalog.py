"""The metric catalog: rows from headers + snapshot, filters, lineage both ways, history."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from outcomes.app.views import catalog, metric_detail, metric_history, metric_lineage
from outcomes.config import Settings
from outcomes.core.registry import load_registry
from outcomes.store.snapshot import open_snapshot, snapshot_cursor
from outcomes.store.state import StateStore
from tests.conftest import ROOT


@contextmanager
def snapshot_of(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the snapshot of ``settings``, its connection closed afterwards."""
    con = open_snapshot(settings)
    try:
        yield snapshot_cursor(con)
    finally:
        con.close()


def first_value(cur: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """The first column of the first row of ``sql``."""
    return cur.execute(sql, params or []).fetchall()[0][0]


@pytest.fixture(scope="module")
def frame(demo_settings):
    with snapshot_of(demo_settings) as cur:
        return catalog.catalog(cur, demo_settings.sql_dir)


@pytest.fixture(scope="module")
def registry():
    return load_registry(ROOT / "sql")


def test_every_metric_file_has_a_row_with_its_header_and_build(frame, registry):
    # every metric: a file's own, or one of those a family file's blueprints make
    names = sorted(d.name for d in registry.by_schema()["metrics"])
    assert {"latency_p50", "latency_p95", "latency_p99", "override_rate"} <= set(names)
    assert frame["name"].tolist() == names
    accuracy = frame.set_index("name").loc["accuracy"]
    assert accuracy["title"] == "Accuracy" and accuracy["kind"] == "model"
    assert accuracy["unit"] == "ratio" and accuracy["owner"] == "ml-platform@example.com"
    assert accuracy["thresholds"].startswith("warn ")
    assert accuracy["build_status"] == "ok" and accuracy["tests"] == "all pass"
    assert accuracy["tests_passed"] == 3 and accuracy["tests_failed"] == 0
    assert 0 < accuracy["value"] < 1 and accuracy["last"].endswith("%")
    assert accuracy["status"] in ("ok", "warn", "alert")
    assert set(frame["status"]) <= {
        "ok",
        "warn",
        "alert",
        "no thresholds",
        "no data",
        "build failed",
        "build skipped",
        "not built",
        "invalid",
    }


def test_the_last_value_is_the_newest_complete_weeks_total(frame, demo_settings):
    with snapshot_of(demo_settings) as cur:
        week = first_value(cur, "select max(week_start) from staging.weeks where not is_partial")
        value = first_value(
            cur,
            "select value from main.metric_values where metric = 'event_volume' "
            "and dimensions = '{}' and week_start = ?",
            [week],
        )
    row = frame.set_index("name").loc["event_volume"]
    assert row["week_start"].date() == week and row["value"] == value


def test_a_system_filter_shows_that_systems_totals_and_alerts(frame, demo_settings):
    """?system=x (issue 15): the last value is the system's own total, counted here from the
    events, and the status weighs only that system's rows: in the newest week invoice-matcher's
    PSI is above 0.25 (alert) on some feature; contract-summariser's rows are all flagged
    'insufficient' (too few events, never alerted), so its status is 'ok' where the company's
    worst is 'alert'."""
    with snapshot_of(demo_settings) as cur:
        by_system = {
            s: catalog.catalog(cur, demo_settings.sql_dir, s).set_index("name")
            for s in ("invoice-matcher", "contract-summariser")
        }
        week = by_system["invoice-matcher"].loc["event_volume", "week_start"].date()
        psi = dict(
            cur.execute(
                "select json_extract_string(dimensions, '$.system'), "
                "max(value) filter (where flag is distinct from 'insufficient') "
                "from main.metric_values where metric = 'drift_psi' and week_start = ? group by 1",
                [by_system["invoice-matcher"].loc["drift_psi", "week_start"].date()],
            ).fetchall()
        )
        counted = first_value(
            cur,
            "select count(*) from staging.ai_events "
            "where system = 'invoice-matcher' and week_start = ?",
            [week],
        )
    matcher, summariser = by_system["invoice-matcher"], by_system["contract-summariser"]
    assert matcher.loc["event_volume", "value"] == counted
    assert counted < frame.set_index("name").loc["event_volume", "value"]
    assert psi["invoice-matcher"] > 0.25 and psi["contract-summariser"] is None
    assert matcher.loc["drift_psi", "status"] == "alert"
    assert summariser.loc["drift_psi", "status"] == "ok"
    assert frame.set_index("name").loc["drift_psi", "status"] == "alert"


def test_filters_search_kind_owner_status(frame):
    latency = catalog.filter_catalog(frame, search="latency")
    assert set(latency["name"]) == {"latency_p50", "latency_p95", "latency_p99"}
    assert set(catalog.filter_catalog(frame, search="LATENCY p95")["name"]) == {"latency_p95"}
    cost = catalog.filter_catalog(frame, kinds=["cost"])
    assert len(cost) and set(cost["kind"]) == {"cost"}
    owned = catalog.filter_catalog(frame, owners=["finops@example.com"])
    assert len(owned) and set(owned["owner"]) == {"finops@example.com"}
    both = catalog.filter_catalog(frame, kinds=["cost"], owners=["data-eng@example.com"])
    assert both.empty
    no_thresholds = catalog.filter_catalog(frame, statuses=["no thresholds"])
    assert len(no_thresholds) and (no_thresholds["thresholds"] == "").all()
    options = catalog.filter_options(frame)
    assert "model" in options["kinds"] and "finops@example.com" in options["owners"]


def test_lineage_upstream_reads_tables_views_and_raw(registry):
    lin = metric_lineage.lineage(registry, "cost_per_hour_saved")
    assert "metrics.hours_saved" in lin.reads
    assert "staging.ai_events" in lin.upstream or "staging.cost_weeks" in lin.upstream
    assert any(t.startswith("raw.") for t in lin.raw_tables)


def test_lineage_downstream_names_the_metrics_that_use_it(registry):
    lin = metric_lineage.lineage(registry, "hours_saved")
    assert "metrics.cost_per_hour_saved" in lin.metrics
    psi = metric_lineage.lineage(registry, "drift_numeric")
    assert {"metrics.drift_psi", "metrics.drift_share"} <= set(psi.metrics)
    assert metric_lineage.lineage(registry, "latency_p99").metrics == ()  # nothing reads it


def test_pages_using_a_metric_are_found_by_literal(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "roi.py").write_text('series = load(metric_series, "hours_saved")\n')
    (pages / "other.py").write_text('x = "hours_saved_total"  # not the same name\n')
    (tmp_path / "app.py").write_text('st.Page("app_pages/roi.py", title="ROI", icon="💰")\n')
    assert metric_lineage.pages_using("hours_saved", pages) == (("app_pages/roi.py", "ROI"),)
    assert metric_lineage.pages_using("accuracy", pages) == ()


def test_history_merges_the_audit_log_and_git(tmp_path):
    git = shutil.which("git")
    assert git, "git is needed for this test"
    sql = tmp_path / "sql"
    (sql / "metrics").mkdir(parents=True)
    path = sql / "metrics" / "m.sql"
    path.write_text("select 1\n")
    env = {
        "GIT_AUTHOR_NAME": "Bo",
        "GIT_AUTHOR_EMAIL": "bo@x",
        "GIT_COMMITTER_NAME": "Bo",
        "GIT_COMMITTER_EMAIL": "bo@x",
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "first version of m"]):
        subprocess.run([git, *args], cwd=sql, check=True, env=env)
    settings = Settings(sql_dir=sql, state_path=tmp_path / "state.sqlite")
    StateStore(settings.state_path).log(
        "ana", "edit_sql", "metric", "m", {"diff": "-select 1\n+select 2\n", "summary": "changed"}
    )
    StateStore(settings.state_path).log("ana", "edit_sql", "metric", "other", {"diff": "x"})
    changes = metric_history.history(settings, "m")
    assert sorted(changes["source"]) == ["app", "git"]
    app = changes[changes["source"] == "app"].iloc[0]
    assert app["who"] == "ana" and "+select 2" in app["detail"]
    commit = changes[changes["source"] == "git"].iloc[0]
    assert commit["who"] == "Bo" and "first version of m" in commit["what"]


def test_history_without_git_is_the_audit_log_alone(tmp_path):
    settings = Settings(sql_dir=tmp_path / "sql", state_path=tmp_path / "state.sqlite")
    assert metric_history.history(settings, "m").empty
    StateStore(settings.state_path).log("ana", "edit_sql", "metric", "m", {"diff": "d"})
    assert metric_history.history(settings, "m")["source"].tolist() == ["app"]


def test_metric_detail_has_sql_lineage_tests_and_build(demo_settings):
    with snapshot_of(demo_settings) as cur:
        detail = metric_detail.metric_detail(cur, demo_settings.sql_dir, "accuracy")
        with pytest.raises(KeyError):
            metric_detail.metric_detail(cur, demo_settings.sql_dir, "ai_events")  # a staging view
    assert detail.valid and detail.header["title"] == "Accuracy"
    assert detail.sql == (ROOT / "sql" / "metrics" / "accuracy.sql").read_text()
    assert "staging.feedback" in detail.lineage.reads
    assert set(detail.tests["status"]) == {"pass"} and len(detail.tests) == 3
    assert detail.build["status"] == "ok"


def test_a_broken_metric_file_is_listed_as_invalid(demo_settings, tmp_path: Path):
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql)
    (sql / "metrics" / "broken_one.sql").write_text("select 1\n")
    with snapshot_of(demo_settings) as cur:
        frame = catalog.catalog(cur, sql)
    row = frame.set_index("name").loc["broken_one"]
    assert row["status"] == "invalid" and "YAML header" in row["build_error"]
