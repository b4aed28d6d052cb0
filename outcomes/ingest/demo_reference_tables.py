"""The demo's small reference tables: users (agents), incidents and the assumptions register."""

from __future__ import annotations

import csv

from outcomes.ingest.demo_population import Scenario, month_start
from outcomes.ingest.demo_scenario import (
    COLUMNS,
    COST_SPIKE_WEEK,
    DRIFT_FROM,
    OUTAGE_WEEK,
    PIPELINE_WEEK,
    REGRESSION_WEEK,
    RETRAIN,
    TEAMS,
)


def users_rows(s: Scenario) -> list[list[str]]:
    """One row per agent: team and the weeks they are eligible."""
    rows = []
    for i, (team, first, last) in enumerate(zip(s.user_team, s.user_from, s.user_to, strict=True)):
        eligible_to = "" if last == 0 else str(s.week_start_at(int(last), 6).date())
        eligible_from = str(s.week_start_at(int(first)).date())
        rows.append([f"U{i + 1:04d}", TEAMS[team], eligible_from, eligible_to])
    return rows


def incident_rows(s: Scenario) -> list[dict[str, object]]:
    """The scenario's seven incidents, one still open."""

    def at(n: int, day: int, hour: float) -> str:
        return f"{s.week_start_at(n, day, hour):%Y-%m-%d %H:%M:%S}"

    # fmt: off
    spec = [  # id, started, detected, resolved (None: still open), severity, cause
        ("INC-0001", at(PIPELINE_WEEK, 1, 6), at(PIPELINE_WEEK, 3, 9.5),
         at(PIPELINE_WEEK, 4, 17), "sev3", "data_pipeline"),
        ("INC-0002", at(OUTAGE_WEEK, 2, 13), at(OUTAGE_WEEK, 2, 13.2),
         at(OUTAGE_WEEK, 2, 16.1), "sev2", "outage"),
        ("INC-0003", at(DRIFT_FROM, 0, 0), at(DRIFT_FROM + 1, 3, 10),
         at(RETRAIN, 1, 12), "sev2", "data_drift"),
        ("INC-0004", at(REGRESSION_WEEK, 0, 8), at(REGRESSION_WEEK, 2, 15),
         at(REGRESSION_WEEK + 1, 0, 11), "sev3", "model_regression"),
        ("INC-0005", at(COST_SPIKE_WEEK, 1, 0), at(COST_SPIKE_WEEK, 3, 8),
         at(COST_SPIKE_WEEK, 4, 10), "sev3", "cost_spike"),
        ("INC-0006", at(47, 0, 8), at(47, 0, 9), at(47, 0, 15), "sev4", "other"),
        ("INC-0007", at(51, 3, 3), at(51, 3, 7), None, "sev4", "data_pipeline"),
    ]
    # fmt: on
    return [dict(zip(COLUMNS["incidents"], row, strict=True)) for row in spec]


def assumption_rows(s: Scenario) -> list[list[str]]:
    """The ROI assumptions register, with a mid-year pay review."""
    text = _ASSUMPTIONS.format(
        start=s.start,
        pay_review=month_start(s.week_start_at(27).date(), 1),  # mid-year
        finance="finance@example.com",
        ops="support-ops@example.com",
        ml="ml-platform@example.com",
    )
    return list(csv.reader(text.strip().splitlines()))


_ASSUMPTIONS = """
loaded_hourly_cost,{start},62.50,USD/hour,{finance},"FY payroll model, support L2","Salary, benefits and overhead per productive hour",50,80
loaded_hourly_cost,{pay_review},66.00,USD/hour,{finance},Annual pay review,Mid-year pay rise of 5.6%,52,84
baseline_handle_minutes,{start},45,minutes,{ops},"Time study, 400 tickets before launch",Median handle time without the assistant,40,50
cost_per_error,{start},45,USD,{ops},Escalation and credit cost per misrouted ticket,,25,90
baseline_error_rate,{start},0.20,ratio,{ops},QA sample before launch,Share of tickets misrouted or misdiagnosed without the assistant,0.15,0.25
build_cost,{start},120000,USD,{finance},Project ledger PRJ-017,,110000,140000
build_amortisation_months,{start},24,months,{finance},Finance policy for internal software,,12,36
monthly_budget,{start},15000,USD/month,{ml},Inference budget FY,Approved inference spend per month at full rollout,12000,18000
projected_monthly_volume,{start},250000,events/month,{ops},Rollout plan: every support region,Calls per month at full rollout,150000,400000
headroom,{start},3,x,{ml},Capacity policy,Peak-to-average safety factor,2,5
"""
