"""Metrics over several AI systems (issue 15): per-system rows, totals that add up, and alerts.

The hand-worked tests state their arithmetic in comments; the random-data tests compute every
per-system figure independently from the raw rows with pandas and compare.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from outcomes.build.materialise import METRIC_VALUES_DDL, long_insert
from outcomes.core.registry import load_registry
from outcomes.core.thresholds import evaluate_thresholds, thresholds_frame
from tests import metricfixtures
from tests.metricfixtures import assert_metric, assumption, event, feedback, item, monday
from tests.sql.metric_chains import PROJECTED_COST
from tests.sqlharness import SQL_DIR, rows, run_sql

W1 = dt.date(2026, 3, 2)
W2 = dt.date(2026, 3, 9)


def _item(item_id: str, closed_at: str, system: str | None, minutes: float, team: str = "t"):
    return {
        **item(item_id, closed_at, system is not None, minutes),
        "system": system,
        "team": team,
    }


def _for(key: str, effective_from: str, value: float, system: str) -> dict[str, object]:
    return {**assumption(key, effective_from, value), "system": system}


# ------------------------------------------------------------------- hand-worked, two systems


def test_hours_saved_per_system_at_its_own_baseline_adds_up_to_the_company():
    # baseline: company-wide 45; billing has its own 60 from W2 on (in W1 the default holds)
    # W1: triage (45 - 20) + (45 - 30) = 40 min; billing 45 - 50 = -5 min; legacy (assisted,
    #     no system) 45 - 40 = 5 min -> company 40 min = 2/3 h
    # W2: triage 45 - 15 = 30 min; billing (60 - 24) + (60 - 36) = 60 min -> company 90 min
    raw = {
        "work_items": [
            _item("a", "2026-03-03 10:00:00", "triage", 20.0),
            _item("b", "2026-03-04 10:00:00", "triage", 30.0),
            _item("c", "2026-03-04 11:00:00", "billing", 50.0),
            {**item("d", "2026-03-05 10:00:00", True, 40.0), "team": "t"},  # no system
            _item("e", "2026-03-10 10:00:00", "triage", 15.0),
            _item("f", "2026-03-10 11:00:00", "billing", 24.0),
            _item("g", "2026-03-11 11:00:00", "billing", 36.0),
            _item("u", "2026-03-11 12:00:00", None, 99.0),  # not assisted: in no row
        ],
        "assumptions": [
            assumption("baseline_handle_minutes", "2026-01-01", 45),
            _for("baseline_handle_minutes", "2026-03-09", 60, "billing"),
        ],
    }
    con = run_sql(raw, ["hours_saved"])
    assert_metric(
        con,
        "hours_saved",
        ("week_start", "system"),
        ["value", "baseline_minutes", "assisted_items", "actual_minutes", "baseline_item_minutes"],
        {
            (W1, "triage"): [40 / 60, 45, 2, Decimal(50), Decimal(90)],
            (W1, "billing"): [-5 / 60, 45, 1, Decimal(50), Decimal(45)],
            (W1, None): [40 / 60, 45, 4, Decimal(140), Decimal(180)],
            (W2, "triage"): [0.5, 45, 1, Decimal(15), Decimal(45)],
            (W2, "billing"): [1.0, 60, 2, Decimal(60), Decimal(120)],
            (W2, None): [1.5, 55, 3, Decimal(75), Decimal(165)],
        },
    )


def test_projected_inference_cost_per_system_comes_from_the_systems_register():
    # triage W1: 2 events, 0.03 USD -> 0.015 per inference x 1000 events/week x 52/12 x
    # headroom 3 = 195 USD a month; budget 60/week x 52/12 = 260 -> ratio 0.75.
    # billing: no production volume in the register -> no row. The company row keeps the
    # plan assumptions: 0.04 / 3 x 10000 x 3 = 400 against 500.
    raw = {
        "ai_events": [
            event("t1", "2026-03-03 10:00:00", system="triage", cost_usd="0.010000"),
            event("t2", "2026-03-04 10:00:00", system="triage", cost_usd="0.020000"),
            event("b1", "2026-03-04 10:00:00", system="billing", cost_usd="0.010000"),
        ],
        "systems": [
            {
                "system": "triage",
                "effective_from": "2026-01-01",
                "stage": "pilot",
                "owner": "o",
                "production_events_per_week": 1000,
                "inference_budget_per_week": "60.00",
            },
            {"system": "billing", "effective_from": "2026-01-01", "stage": "pilot", "owner": "o"},
        ],
        "assumptions": [
            assumption("projected_monthly_volume", "2026-01-01", 10000),
            assumption("monthly_budget", "2026-01-01", 500),
        ],
    }
    con = run_sql(raw, PROJECTED_COST)
    assert_metric(
        con,
        "projected_inference_cost",
        ("week_start", "system"),
        ["value", "budget_ratio", "cost_per_inference", "volume", "headroom", "budget"],
        {
            (W1, "triage"): [195.0, 0.75, 0.015, 1000 * 52 / 12, 3, 260.0],
            (W1, None): [400.0, 0.8, 0.04 / 3, 10000, 3, 500],
        },
    )
    assert_metric(
        con,
        "projected_budget_ratio",
        ("week_start", "system"),
        ["value", "numerator", "denominator"],
        {(W1, "triage"): [0.75, 195.0, 260.0], (W1, None): [0.8, 400.0, 500]},
    )


def test_adoption_per_system_is_over_the_teams_it_serves():
    # team A: u1, u2 (triage's team: u1 used it); team L: u3, u4, u5 (billing: u3 used it).
    # W1: triage 1 of 2 (A), billing 1 of 3 (L), company 2 of 5. W2: u2 uses billing too,
    # so billing serves A from then on: billing's A row appears with its first user; billing
    # L 0 of 3 -> billing 1 of 5; triage A 0 of 2; company 1 of 5 (u2 once, not twice)
    users = [
        {"user_id": u, "team": t, "eligible_from": "2026-01-01"}
        for u, t in (("u1", "A"), ("u2", "A"), ("u3", "L"), ("u4", "L"), ("u5", "L"))
    ]
    events = [
        event("e1", "2026-03-03 10:00:00", system="triage", user_id="u1"),
        event("e2", "2026-03-03 10:00:00", system="billing", user_id="u3"),
        event("e3", "2026-03-10 10:00:00", system="billing", user_id="u2"),
    ]
    con = run_sql(
        {"users": users, "ai_events": events},
        ["adoption_rate", "active_users"],
        as_of="2026-03-15 23:00:00",  # the calendar ends with W2
    )
    assert_metric(
        con,
        "adoption_rate",
        ("week_start", "system", "team"),
        ["numerator", "denominator"],
        {
            (W1, "triage", "A"): [1, 2],
            (W1, "triage", None): [1, 2],
            (W1, "billing", "A"): [0, 2],  # billing serves A (u2 used it, in W2): 0 in W1
            (W1, "billing", "L"): [1, 3],
            (W1, "billing", None): [1, 5],
            (W1, None, "A"): [1, 2],
            (W1, None, "L"): [1, 3],
            (W1, None, None): [2, 5],
            (W2, "triage", "A"): [0, 2],
            (W2, "triage", None): [0, 2],
            (W2, "billing", "A"): [1, 2],
            (W2, "billing", "L"): [0, 3],
            (W2, "billing", None): [1, 5],
            (W2, None, "A"): [1, 2],
            (W2, None, "L"): [0, 3],
            (W2, None, None): [1, 5],
        },
    )
    assert_metric(
        con,
        "active_users",
        ("week_start", "system"),
        ["value"],
        {
            (W1, "triage"): [1],
            (W1, "billing"): [1],
            (W1, None): [2],
            (W2, "triage"): [0],
            (W2, "billing"): [1],
            (W2, None): [1],
        },
    )


def test_freshness_per_system_against_its_own_sla():
    # as_of 03-11 00:00 (W2 partial). triage's newest event 03-10 12:00 -> 12 h against its
    # SLA of 6 h: stale; billing's newest 03-09 00:00 -> 48 h against the setting (48):
    # not stale (above, not at). The company: the newest of all -> 12 h against 48.
    raw = {
        "ai_events": [
            event("t1", "2026-03-10 12:00:00", system="triage"),
            event("b1", "2026-03-09 00:00:00", system="billing"),
        ],
        "systems": [
            {
                "system": "triage",
                "effective_from": "2026-01-01",
                "stage": "production",
                "owner": "o",
                "freshness_sla_hours": 6.0,
            }
        ],
    }
    con = run_sql(raw, ["dq_freshness_hours"], as_of="2026-03-11 00:00:00")
    got = {
        (s, src): (v, sla, stale)
        for s, src, v, sla, stale in rows(
            con,
            "select system, source, value, sla_hours, stale from metrics.dq_freshness_hours "
            "where week_start = date '2026-03-09'",
        )
    }
    assert got == {
        ("triage", "ai_events"): (12.0, 6.0, True),
        ("triage", None): (12.0, 6.0, True),
        ("billing", "ai_events"): (48.0, 48.0, False),
        ("billing", None): (48.0, 48.0, False),
        (None, "ai_events"): (12.0, 48.0, False),
        (None, None): (12.0, 48.0, False),
    }


# -------------------------------------------------------------- random data, two systems

SYSTEMS = ("triage", "billing", "legal")


def _random_raw(seed: int, n: int = 1200) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    events, labels = [], []
    for i in range(n):
        row, at = metricfixtures.random_event(rng, i, SYSTEMS, [0.6, 0.3, 0.1], 6, ["smb", "ent"])
        system = row["system"]
        row["action_tier"] = str(rng.choice(["suggest", "approve", "auto"]))
        row["confidence"] = round(float(rng.random()), 6)
        row["tokens_in"] = int(rng.integers(10, 5000 if system == "legal" else 500))
        row["tokens_out"] = int(rng.integers(0, 300))
        row["cost_usd"] = f"{rng.integers(1, 10**6) / 10**6:.6f}"
        events.append(row)
        if rng.random() < 0.5:
            labels.append(
                feedback(
                    f"r{i}",
                    (at + dt.timedelta(hours=int(rng.integers(1, 400)))).isoformat(sep=" "),
                    correct=bool(rng.random() < (0.9 if system == "triage" else 0.6)),
                    accepted=bool(rng.random() < 0.7),
                    overridden=bool(rng.random() < 0.2),
                )
            )
    return {"ai_events": pd.DataFrame(events), "feedback": pd.DataFrame(labels)}


RAW = _random_raw(seed=15)
# (metric, its other dimension columns, additive columns: their sums over parts equal the total)
ADDITIVE = [
    ("accuracy", ["model_version", "segment"], ["numerator", "denominator"]),
    ("error_rate", ["model_version", "segment"], ["numerator", "denominator"]),
    ("label_coverage", ["model_version", "segment"], ["numerator", "denominator"]),
    ("acceptance_rate", ["model_version", "segment"], ["numerator", "denominator"]),
    ("override_rate", ["model_version", "segment"], ["numerator", "denominator"]),
    ("mean_confidence", ["model_version", "segment"], ["numerator", "denominator"]),
    ("inference_cost", ["model_version"], ["cost_usd", "events"]),
    ("cost_per_inference", ["model_version"], ["numerator", "denominator"]),
    ("tokens_per_event", ["model_version"], ["numerator", "denominator"]),
    ("event_volume", ["action_tier"], ["value"]),
    ("dq_late_labels", [], ["numerator", "denominator"]),
]


@pytest.fixture(scope="module")
def con():
    return run_sql(RAW, [m for m, _, _ in ADDITIVE], as_of="2026-06-01 00:00:00")


def _frame(con, metric: str, dims: list[str], columns: list[str]) -> pd.DataFrame:
    names = ["week_start", "system", *dims, *columns]
    frame = pd.DataFrame(
        rows(con, f"select {', '.join(names)} from metrics.{metric}"), columns=names
    )
    return frame


@pytest.mark.parametrize(("metric", "dims", "columns"), ADDITIVE)
def test_parts_add_up_to_the_totals_at_every_level(con, metric, dims, columns):
    frame = _frame(con, metric, dims, columns)
    system_rows = frame[frame["system"].notna()]
    company_rows = frame[frame["system"].isna()]
    assert set(system_rows["system"]) == set(SYSTEMS)

    def total(f):
        return f[f[dims].isna().all(axis=1)] if dims else f

    def cells(f):
        return f[f[dims].notna().all(axis=1)] if dims else f.iloc[0:0]

    def summed(f, by):
        out = f.groupby(by)[columns].sum().sort_index()
        return out.astype(object).map(lambda v: Decimal(str(v)) if isinstance(v, Decimal) else v)

    # the systems' totals add up to the company total (no event lost or counted twice)
    pd.testing.assert_frame_equal(
        summed(total(system_rows), ["week_start"]), summed(total(company_rows), ["week_start"])
    )
    if dims:
        # a system's cells add up to its total; the company's cells to the company total;
        # and each cell over all systems is the sum of the systems' same cell
        pd.testing.assert_frame_equal(
            summed(cells(system_rows), ["week_start", "system"]),
            summed(total(system_rows), ["week_start", "system"]),
        )
        pd.testing.assert_frame_equal(
            summed(cells(company_rows), ["week_start"]), summed(total(company_rows), ["week_start"])
        )
        pd.testing.assert_frame_equal(
            summed(cells(system_rows), ["week_start", *dims]),
            summed(cells(company_rows), ["week_start", *dims]),
        )


def test_inference_cost_per_system_is_exact_and_matches_pandas(con):
    events = RAW["ai_events"].assign(
        week_start=monday(RAW["ai_events"]["occurred_at"]),
        cost=RAW["ai_events"]["cost_usd"].map(Decimal),
    )
    expected = {
        (w, s): sum(g["cost"], Decimal(0)) for (w, s), g in events.groupby(["week_start", "system"])
    }
    expected |= {(w, None): sum(g["cost"], Decimal(0)) for w, g in events.groupby("week_start")}
    got = dict(
        ((w, s), c)
        for w, s, c in rows(
            con,
            "select week_start, system, cost_usd from metrics.inference_cost "
            "where model_version is null",
        )
    )
    assert got == expected  # Decimal equality: exact to the micro-dollar


def test_label_coverage_and_acceptance_per_system_match_pandas(con):
    events = RAW["ai_events"].assign(week_start=monday(RAW["ai_events"]["occurred_at"]))
    joined = events.merge(RAW["feedback"], on="event_id", how="left")
    for metric, value in (
        ("label_coverage", lambda g: g["correct"].notna().mean()),
        (
            "acceptance_rate",
            lambda g: g.loc[g["labeled_at"].notna(), "accepted"].astype(bool).mean(),
        ),
    ):
        expected = {
            (w, s): float(value(g)) for (w, s), g in joined.groupby(["week_start", "system"])
        }
        got = {
            (w, s): v
            for w, s, v in rows(
                con,
                f"select week_start, system, value from metrics.{metric} "
                "where system is not null and model_version is null",
            )
        }
        assert got == pytest.approx(expected, rel=1e-12), metric
    # triage is right 90 % of the time, billing and legal 60 %: the per-system rows differ
    acc = dict(
        rows(
            con,
            "select system, sum(numerator) / sum(denominator) from metrics.accuracy "
            "where system is not null and model_version is null group by system",
        )
    )
    assert acc["triage"] - acc["billing"] > 0.2


# ------------------------------------------------------------------------------ alerts


def test_alerts_check_the_company_and_each_system_total_and_carry_the_system(con):
    # accuracy: warn 0.8, alert 0.76, scope total. billing and legal sit near 0.6: every
    # complete week alerts for them; triage near 0.9 does not; a (system, dims) row never
    # alerts (scope total); the company's ~0.78 may warn. Every alert names its system.
    registry = load_registry(SQL_DIR)
    definition = registry.get("accuracy")
    con.execute("drop table if exists main.metric_values")
    con.execute(METRIC_VALUES_DDL)
    con.execute(long_insert(definition))
    alerts = evaluate_thresholds(con, thresholds_frame([definition]))
    assert len(alerts) > 0
    assert set(alerts["dimensions"]) <= {
        "{}",
        '{"system":"billing"}',
        '{"system":"legal"}',
        '{"system":"triage"}',
    }
    by_system = alerts.groupby(alerts["system"].fillna("(company)"))["level"].agg(list)
    weeks = rows(
        con,
        "select count(*) from metrics.accuracy where system = 'billing' and model_version is null",
    )[0][0]
    assert by_system["billing"] == ["alert"] * weeks
    assert "triage" not in by_system
    for r in alerts.itertuples():
        system = None if pd.isna(r.system) else r.system
        assert system == (None if r.dimensions == "{}" else r.dimensions.split('"')[3])
