"""`outcomes check` on the demo: the week-30 drift and the accuracy dip alert; quiet weeks do not."""

from __future__ import annotations

import duckdb
import pytest

from outcomes.build.alerts import run_checks
from outcomes.store.snapshot import open_snapshot
from outcomes.store.state import StateStore

DRIFT_METRICS = (
    "drift_psi",
    "drift_share",
    "drift_ks_pvalue",
    "drift_chi2_pvalue",
    "drift_js_distance",
)


@pytest.fixture(scope="module")
def alerts(demo_settings):
    con = open_snapshot(demo_settings)
    try:
        return con.execute(
            "select w.week_number, a.metric, a.level, a.dimensions from main.alerts as a "
            "join staging.weeks as w using (week_start)"
        ).fetchall()
    finally:
        con.close()


def test_drift_around_week_30_raises_drift_alerts(alerts):
    drift = {(w, m) for w, m, level, _ in alerts if level == "alert" and m in DRIFT_METRICS}
    assert {w for w, _ in drift if 30 <= w <= 33} == {30, 31, 32, 33}
    assert not {w for w, _ in drift if w < 30}, "no drift alert before the drift starts"
    # each drifted feature is its own alert row
    psi_features = {
        d for w, m, level, d in alerts if w == 31 and m == "drift_psi" and level == "alert"
    }
    assert len(psi_features) >= 2


def test_accuracy_dip_raises_an_accuracy_alert(alerts):
    weeks = {w for w, m, level, _ in alerts if m == "accuracy" and level == "alert"}
    assert weeks & {30, 31, 32, 33}
    assert not weeks - {30, 31, 32, 33, 34}


def test_quiet_weeks_raise_no_alert(alerts, demo_settings):
    """Weeks 5-20: after the drift reference window, before any scenario event except
    incidents (whose weeks are left out: an incident is not a quiet week)."""
    con = duckdb.connect()
    con.close()
    snapshot = open_snapshot(demo_settings)
    try:
        incident_weeks = {
            w
            for (w,) in snapshot.execute(
                "select distinct w.week_number from staging.incidents as i "
                "join staging.weeks as w on w.week_start in (i.week_start, week_of(i.resolved_at))"
            ).fetchall()
        }
    finally:
        snapshot.close()
    quiet = set(range(5, 21)) - incident_weeks
    assert len(quiet) >= 12
    noisy = sorted({(w, m) for w, m, level, _ in alerts if w in quiet and level == "alert"})
    assert noisy == []


def test_check_records_alerts_and_unowned_metrics_in_the_state_store(demo_env):
    report = run_checks(demo_env, week=None)
    assert report.week is not None
    runs = StateStore(demo_env.state_path).check_runs()
    assert len(runs) == 1 and runs[0]["build_id"] == report.build_id
    assert runs[0]["alerts"] == int((report.alerts["level"] == "alert").sum())
    assert "week" in report.render()
