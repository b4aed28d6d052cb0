"""CBPE in the product: the reference window and fit of main.calibration from staging, the
build step that fits it before its readers, and metrics.estimated_accuracy worked by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from outcomes.build.calibration import CalibrationStep, write_calibration
from outcomes.build.calibration import fit_reference_calibrations as fit_all
from outcomes.build.calibration_fit import fit_calibration
from outcomes.config import CbpeSettings, DriftSettings, Settings
from outcomes.core.registry import load_registry
from tests.sqlharness import SQL_DIR, rows, run_sql

AS_OF = "2026-06-01 00:00:00"  # a Monday: 2026-05-04 .. 05-25 complete, 06-01 partial
METRIC = (SQL_DIR / "metrics" / "estimated_accuracy.sql").read_text()


def event(event_id, system, week, confidence, model="v1", day=0, second=0):
    occurred = dt.datetime.fromisoformat(week) + dt.timedelta(days=day, seconds=second)
    return {
        "event_id": event_id,
        "occurred_at": occurred,
        "system": system,
        "model_version": model,
        "segment": "smb",
        "action_tier": "suggest",
        "prediction": "p",
        "confidence": confidence,
        "latency_ms": 10.0,
        "tokens_in": 1,
        "tokens_out": 1,
        "cost_usd": 0.001,
        "user_id": "u1",
        "customer_id": "c1",
    }


def label(event_id, correct):
    return {
        "event_id": event_id,
        "labeled_at": dt.datetime(2026, 6, 1),
        "correct": correct,
        "accepted": True,
        "overridden": False,
    }


def hand_calibration(con):
    """System a: breakpoints (0.5, 0.6), (0.9, 0.8), reference correctness std 0.3; system b:
    none (no labelled reference)."""
    con.execute(
        "create table main.calibration as select * from (values "
        "('a', 0, 0.5, 0.6, 'isotonic', 0.3), ('a', 1, 0.9, 0.8, 'isotonic', 0.3), "
        "('b', 0, null, null, 'none', null)) t(system, point, x, y, method, reference_hit_std)"
    )


@pytest.fixture(scope="module")
def metric():
    events = [
        # week 05-04, a, v1: 0.4 -> clipped to 0.5 -> 0.6; 0.7 -> 0.7; 0.95 -> 0.8; null: unscored
        event("e1", "a", "2026-05-04", 0.4),
        event("e2", "a", "2026-05-04", 0.7),
        event("e3", "a", "2026-05-04", 0.95),
        event("e4", "a", "2026-05-04", None),
        # week 05-11, a, v2, no labels: 0.9 -> 0.8, 0.5 -> 0.6, 0.6 -> 0.65, 0.8 -> 0.75, 1 -> 0.8
        *(
            event(f"e{5 + i}", "a", "2026-05-11", c, model="v2")
            for i, c in enumerate((0.9, 0.5, 0.6, 0.8, 1.0))
        ),
        # the partial week 06-01: 0.7 -> 0.7
        event("e10", "a", "2026-06-01", 0.7, model="v2"),
        # system b has no calibration: left out of every row
        event("e11", "b", "2026-05-04", 0.9),
    ]
    labels = [label("e1", True), label("e2", False), label("e11", True)]
    con = run_sql({"ai_events": events, "feedback": labels}, as_of=AS_OF)
    hand_calibration(con)
    con.execute(f"create table metrics.estimated_accuracy as {METRIC}")
    found = rows(
        con,
        "select week_start::varchar, system, model_version, value, numerator, denominator, "
        "realised_accuracy, label_coverage, filled_accuracy, basis, events, labelled, flag "
        "from metrics.estimated_accuracy",
    )
    bands = rows(
        con,
        "select week_start::varchar, system, model_version, sampling_error, estimated_low, "
        "estimated_high from metrics.estimated_accuracy",
    )
    METRIC_BANDS.update({(r[0], r[1], r[2]): r[3:] for r in bands})
    return {(r[0], r[1], r[2]): r[3:] for r in found}


METRIC_BANDS: dict[tuple, tuple] = {}


def test_sampling_error_and_band(metric):
    se, low, high = METRIC_BANDS[("2026-05-04", "a", "v1")]
    assert se == pytest.approx(0.3 / 3**0.5, abs=1e-15)  # 3 events scored
    assert (low, high) == (pytest.approx(0.7 - 3 * se), 1.0)  # 0.7 + 0.52 clipped to 1
    assert METRIC_BANDS[("2026-05-04", None, None)] == (None, None, None)  # over systems


def test_estimated_accuracy_by_hand(metric):
    value, num, den, realised, coverage, filled, basis, events, labelled, flag = metric[
        ("2026-05-04", "a", "v1")
    ]
    assert value == pytest.approx(0.7, abs=1e-15)  # (0.6 + 0.7 + 0.8) / 3
    assert (num, den) == (pytest.approx(2.1, abs=1e-15), 3.0)
    assert (realised, coverage, filled, basis) == (0.5, 0.5, 0.5, "realised")
    assert (events, labelled, flag) == (4, 2, None)


def test_a_week_without_labels_is_estimated(metric):
    value, _, den, realised, coverage, filled, basis, _, _, flag = metric[("2026-05-11", "a", "v2")]
    assert value == pytest.approx(3.6 / 5, abs=1e-15)  # 0.8 + 0.6 + 0.65 + 0.75 + 0.8
    assert (den, realised, coverage) == (5.0, None, 0.0)
    assert (filled, basis, flag) == (value, "estimated", "estimated")


def test_partial_week_flag_wins(metric):
    value, *_, basis, _, _, flag = metric[("2026-06-01", "a", "v2")]
    assert value == pytest.approx(0.7, abs=1e-15)
    assert (basis, flag) == ("estimated", "partial")


def test_totals_per_system_and_company_leave_out_uncalibrated_systems(metric):
    assert not any(system == "b" for (_, system, _) in metric)
    system_total = metric[("2026-05-04", "a", None)]
    assert system_total == metric[("2026-05-04", "a", "v1")]
    assert metric[("2026-05-04", None, None)] == system_total  # b's event is not in it
    assert metric[("2026-05-11", None, "v2")][0] == pytest.approx(0.72, abs=1e-15)
    assert len(metric) == 3 * 4  # three weeks x (system+model, system, model, company)


def reference_events():
    """System a: 2 reference weeks (reference_weeks=2) with 300 labelled events, a labelled
    event without a confidence, and labelled events after the window; b: no labels; c: only
    in the partial week."""
    rng = np.random.default_rng(7)
    events, labels, expected = [], [], []
    for i in range(300):
        week = "2026-05-04" if i < 150 else "2026-05-11"
        score = round(float(rng.uniform(0, 1)), 2)
        correct = bool(rng.uniform(0, 1) < score**2)
        events.append(event(f"r{i:03d}", "a", week, score, second=i))
        labels.append(label(f"r{i:03d}", correct))
        expected.append((score, int(correct)))
    events.append(event("nc", "a", "2026-05-04", None, second=999))
    labels.append(label("nc", True))
    for i in range(20):  # after the reference window: not fitted
        events.append(event(f"late{i}", "a", "2026-05-18", 0.1))
        labels.append(label(f"late{i}", True))
    events.append(event("b1", "b", "2026-05-11", 0.5))
    events.append(event("c1", "c", "2026-06-01", 0.5))
    labels.append(label("c1", True))
    return events, labels, expected


def fit_reference(min_labels):
    events, labels, expected = reference_events()
    settings = Settings(
        drift=DriftSettings(reference_weeks=2),
        cbpe=CbpeSettings(min_reference_labels=min_labels),
    )
    con = run_sql({"ai_events": events, "feedback": labels}, settings=settings, as_of=AS_OF)
    calibrations = fit_all(con)
    write_calibration(con, calibrations)
    table = rows(
        con,
        "select system, point, x, y, method, reason, reference_from::varchar, "
        "reference_to::varchar, fitted_rows, positive_rows, unscored_rows, reference_weeks, "
        "reference_short from main.calibration order by system, point",
    )
    return calibrations, table, expected


@pytest.fixture(scope="module")
def fitted():
    # the first two weeks hold exactly the minimum (300 labelled events with a confidence)
    return fit_reference(300)


def test_reference_window_and_fit(fitted):
    calibrations, table, expected = fitted
    scores = np.array([s for s, _ in expected])
    targets = np.array([t for _, t in expected])
    direct = fit_calibration(scores, targets)  # the same rows, in occurred_at order
    assert direct.method == "isotonic"
    a = calibrations["a"]
    assert a.fit == direct
    assert (a.reference_from, a.reference_to) == (dt.date(2026, 5, 4), dt.date(2026, 5, 17))
    assert a.unscored_rows == 1
    a_rows = [r for r in table if r[0] == "a"]
    assert [(r[2], r[3]) for r in a_rows] == list(zip(direct.x, direct.y, strict=True))
    assert {r[8:] for r in a_rows} == {(300, int(targets.sum()), 1, 2, False)}


def test_the_window_extends_until_it_holds_the_minimum():
    """301 labelled events needed: the two weeks hold 300 (the labelled event without a
    confidence does not count), so the window takes the third week (20 more, all correct,
    confidence 0.1) and stops there: the fourth complete week is not needed."""
    calibrations, table, expected = fit_reference(301)
    a = calibrations["a"]
    assert (a.reference_from, a.reference_to) == (dt.date(2026, 5, 4), dt.date(2026, 5, 24))
    assert (a.reference_weeks, a.short) == (3, False)
    scores = np.array([s for s, _ in expected] + [0.1] * 20)
    targets = np.array([t for _, t in expected] + [1] * 20)
    assert a.fit == fit_calibration(scores, targets)
    assert a.fit.fitted_rows == 320
    a_rows = [r for r in table if r[0] == "a"]
    assert {(r[7], r[8], r[11], r[12]) for r in a_rows} == {("2026-05-24", 320, 3, False)}
    assert not any("min_reference_labels" in r[5] for r in a_rows)


def test_too_few_labels_in_the_whole_history_fits_them_all_and_says_so():
    """1,000 needed, 320 in the whole history: the window runs to the last complete week
    (2026-05-25 .. 05-31; the week of 06-01 is partial), fits the 320 and is flagged."""
    calibrations, table, _ = fit_reference(1000)
    a = calibrations["a"]
    assert (a.reference_from, a.reference_to) == (dt.date(2026, 5, 4), dt.date(2026, 5, 31))
    assert (a.reference_weeks, a.short, a.fit.fitted_rows) == (4, True, 320)
    a_rows = [r for r in table if r[0] == "a"]
    assert {(r[11], r[12]) for r in a_rows} == {(4, True)}
    assert {r[4] for r in a_rows} == {a.fit.method}  # the fit is still NannyML's decision
    assert all(
        r[5].endswith(
            "the reference holds only 320 labelled events, fewer than "
            "cbpe.min_reference_labels = 1000: every complete week so far"
        )
        for r in a_rows
    )


def test_systems_without_a_fit_are_recorded(fitted):
    _, table, _ = fitted
    by_system = {r[0]: r for r in table if r[0] != "a"}
    b, c = by_system["b"], by_system["c"]
    assert (b[2], b[3], b[4]) == (None, None, "none")
    assert "no labelled event" in b[5]
    assert (c[4], c[5], c[6]) == ("none", "no complete reporting week yet", None)


def test_the_build_fits_before_the_first_reader_only():
    events, labels, _ = reference_events()
    con = run_sql({"ai_events": events, "feedback": labels}, as_of=AS_OF)
    registry = load_registry(SQL_DIR, strict=False)
    said: list[str] = []
    step = CalibrationStep(con, said.append)
    tables = "select count(*) from duckdb_tables() where table_name = 'calibration'"
    step.before(registry.get("metrics.accuracy"))
    assert rows(con, tables) == [(0,)]
    created = []
    create = step.wrap(lambda item: created.append(item.name) or 0)
    create(registry.get("metrics.estimated_accuracy"))
    assert rows(con, tables) == [(1,)] and created == ["estimated_accuracy"]
    assert said and said[0].startswith("main.calibration:")
    assert "main.calibration" in registry.get("metrics.estimated_accuracy").reads
