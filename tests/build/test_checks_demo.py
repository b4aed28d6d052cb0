"""`outcomes check` on the three-system demo: each system's story raises its alerts (week-30
drift and accuracy dip of ticket-assistant, invoice-matcher's drift and erosion from week 40,
contract-summariser over its inference budget); the healthy system's quiet weeks do not."""

from __future__ import annotations

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
HEALTHY = "ticket-assistant"


@pytest.fixture(scope="module")
def alerts(demo_settings):
    """(week number, metric, level, dimensions, system) of every alert of the demo."""
    con = open_snapshot(demo_settings)
    try:
        return con.execute(
            "select w.week_number, a.metric, a.level, a.dimensions, a.system "
            "from main.alerts as a join staging.weeks as w using (week_start)"
        ).fetchall()
    finally:
        con.close()


def _weeks(alerts, metrics, system, level="alert") -> set[int]:
    return {w for w, m, lv, _, s in alerts if lv == level and m in metrics and s == system}


def test_drift_around_week_30_raises_drift_alerts(alerts):
    drift = _weeks(alerts, DRIFT_METRICS, HEALTHY)
    assert {w for w in drift if 30 <= w <= 33} == {30, 31, 32, 33}
    assert not {w for w in drift if w < 30}, "no drift alert before the drift starts"
    # each drifted feature is its own alert row, and drift is per system only
    psi_features = {
        d for w, m, level, d, s in alerts if w == 31 and m == "drift_psi" and s == HEALTHY
    }
    assert len(psi_features) >= 2
    assert not _weeks(alerts, DRIFT_METRICS, None), "no company drift row"


def test_invoice_matcher_drifts_from_week_40_and_its_accuracy_erodes(alerts):
    drift = _weeks(alerts, DRIFT_METRICS, "invoice-matcher")
    assert drift and min(drift) >= 40
    accuracy = _weeks(alerts, ("accuracy",), "invoice-matcher")
    assert accuracy and min(accuracy) >= 40


def test_contract_summariser_is_over_its_inference_budget(alerts):
    assert len(_weeks(alerts, ("projected_budget_ratio",), "contract-summariser")) >= 20


def test_accuracy_dip_raises_an_accuracy_alert(alerts):
    # the company's accuracy: only ticket-assistant's dip moves it that far
    weeks = _weeks(alerts, ("accuracy",), None)
    assert weeks & {30, 31, 32, 33}
    assert not weeks - {30, 31, 32, 33, 34}
    assert _weeks(alerts, ("accuracy",), HEALTHY) & {30, 31, 32, 33}


def test_quiet_weeks_raise_no_alert(alerts, demo_settings):
    """The healthy system's weeks 12-19: in production, before contract-summariser's pilot
    and the week-30 drift, after its own pilot (whose small weekly volume is noisy), incident
    weeks left out (an incident is not a quiet week). The company's alerts there come from
    invoice-matcher's late labels only (its labels arrive 14-42 days late by design)."""
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
    quiet = set(range(12, 20)) - incident_weeks
    assert len(quiet) >= 6
    noisy = sorted(
        {(w, m) for w, m, level, _, s in alerts if w in quiet and level == "alert" and s == HEALTHY}
    )
    assert noisy == []
    company = {
        (w, m) for w, m, level, _, s in alerts if w in quiet and level == "alert" and s is None
    }
    assert {m for _, m in company} <= {"dq_late_labels"}
    late = _weeks(alerts, ("dq_late_labels",), "invoice-matcher")
    assert {w for w, _ in company} <= late


def test_check_records_alerts_and_unowned_metrics_in_the_state_store(demo_env):
    report = run_checks(demo_env, week=None)
    assert report.week is not None
    runs = StateStore(demo_env.state_path).check_runs()
    assert len(runs) == 1 and runs[0]["build_id"] == report.build_id
    assert runs[0]["alerts"] == int((report.alerts["level"] == "alert").sum())
    assert "week" in report.render()
