"""The demo's small reference tables: users, incidents, the assumptions register (company-wide
values and each system's own) and the register of AI systems (stage, owner, targets)."""

from __future__ import annotations

import csv

from outcomes.ingest.demo_population import Scenario, month_start
from outcomes.ingest.demo_scenario import (
    ALL_TEAMS,
    APPROVE_FROM,
    COLUMNS,
    COST_SPIKE_WEEK,
    CS_PILOT_FROM,
    DRIFT_FROM,
    IM_DRIFT_FROM,
    IM_PRODUCTION,
    OUTAGE_WEEK,
    PIPELINE_WEEK,
    REGRESSION_WEEK,
    RETRAIN,
    SYSTEM_OWNERS,
    SYSTEMS,
)

TA, IM, CS = SYSTEMS


def users_rows(s: Scenario) -> list[list[str]]:
    """One row per agent: team and the weeks they are eligible."""
    rows = []
    for i, (team, first, last) in enumerate(zip(s.user_team, s.user_from, s.user_to, strict=True)):
        eligible_to = "" if last == 0 else str(s.week_start_at(int(last), 6).date())
        eligible_from = str(s.week_start_at(int(first)).date())
        rows.append([f"U{i + 1:04d}", ALL_TEAMS[team], eligible_from, eligible_to])
    return rows


def incident_rows(s: Scenario) -> list[dict[str, object]]:
    """The scenario's incidents, each with the system it hit (INC-0006: not attributed);
    ticket-assistant's last one and invoice-matcher's drift are still open."""

    def at(n: int, day: int, hour: float) -> str:
        return f"{s.week_start_at(n, day, hour):%Y-%m-%d %H:%M:%S}"

    # fmt: off
    spec = [  # id, started, detected, resolved (None: still open), severity, cause, system
        ("INC-0001", at(PIPELINE_WEEK, 1, 6), at(PIPELINE_WEEK, 3, 9.5),
         at(PIPELINE_WEEK, 4, 17), "sev3", "data_pipeline", TA),
        ("INC-0002", at(OUTAGE_WEEK, 2, 13), at(OUTAGE_WEEK, 2, 13.2),
         at(OUTAGE_WEEK, 2, 16.1), "sev2", "outage", TA),
        ("INC-0003", at(DRIFT_FROM, 0, 0), at(DRIFT_FROM + 1, 3, 10),
         at(RETRAIN, 1, 12), "sev2", "data_drift", TA),
        ("INC-0004", at(REGRESSION_WEEK, 0, 8), at(REGRESSION_WEEK, 2, 15),
         at(REGRESSION_WEEK + 1, 0, 11), "sev3", "model_regression", TA),
        ("INC-0005", at(COST_SPIKE_WEEK, 1, 0), at(COST_SPIKE_WEEK, 3, 8),
         at(COST_SPIKE_WEEK, 4, 10), "sev3", "cost_spike", TA),
        ("INC-0006", at(47, 0, 8), at(47, 0, 9), at(47, 0, 15), "sev4", "other", None),
        ("INC-0007", at(51, 3, 3), at(51, 3, 7), None, "sev4", "data_pipeline", TA),
        ("INC-0008", at(IM_PRODUCTION + 6, 0, 7), at(IM_PRODUCTION + 6, 0, 9),
         at(IM_PRODUCTION + 6, 1, 12), "sev3", "data_pipeline", IM),
        ("INC-0009", at(IM_DRIFT_FROM, 0, 0), at(IM_DRIFT_FROM + 5, 2, 11), None, "sev2",
         "data_drift", IM),
        ("INC-0010", at(CS_PILOT_FROM + 3, 1, 9), at(CS_PILOT_FROM + 4, 0, 10),
         at(CS_PILOT_FROM + 4, 2, 16), "sev4", "cost_spike", CS),
    ]
    # fmt: on
    return [dict(zip(COLUMNS["incidents"], row, strict=True)) for row in spec]


def assumption_rows(s: Scenario) -> list[list[str]]:
    """The ROI assumptions register: company-wide values (system empty) with a mid-year pay
    review, and each system's own baseline, error cost, build cost, budget and volume."""
    text = _ASSUMPTIONS.format(
        start=s.start,
        pay_review=month_start(s.week_start_at(27).date(), 1),  # mid-year
        finance="finance@example.com",
        ops="support-ops@example.com",
        ml="ml-platform@example.com",
        ap=SYSTEM_OWNERS[1],
        legal=SYSTEM_OWNERS[2],
        pilot=s.week_start_at(CS_PILOT_FROM).date(),
    )
    return list(csv.reader(text.strip().splitlines()))


def system_rows(s: Scenario) -> list[list[str]]:
    """The register of AI systems: a version per stage change (effective from a Monday)."""

    def week(n: int) -> str:
        return str(s.week_start_at(n).date())

    ta, im, cs = SYSTEM_OWNERS
    # fmt: off
    return [  # system, effective_from, stage, owner, rollback_target, production events/week,
        # inference budget/week (USD), freshness SLA hours, note
        [TA, week(1), "pilot", ta, "", "60000", "3500.00", "48",
         "Read-only suggestions for the first support region"],
        [TA, week(APPROVE_FROM), "production", ta, "v1", "60000", "3500.00", "48",
         "Approvals on; rolls back to the v1 prompt and model"],
        [TA, week(RETRAIN), "production", ta, "v1", "60000", "3500.00", "48",
         "v2 retrained on the drifted inputs; v1 kept warm for rollback"],
        [IM, week(1), "pilot", im, "", "25000", "400.00", "48", "Suggestions only, AP region 1"],
        [IM, week(IM_PRODUCTION), "production", im, "im-1.4", "25000", "400.00", "48",
         "im-2.0 approves and auto-posts matched invoices"],
        [CS, week(CS_PILOT_FROM), "pilot", cs, "", "2000", "250.00", "168",
         "Pilot with the commercial legal team"],
    ]
    # fmt: on


# key, system (empty: company-wide), effective_from, value, unit, owner, source, note, low, high
_ASSUMPTIONS = """
loaded_hourly_cost,,{start},62.50,USD/hour,{finance},"FY payroll model, support L2","Salary, benefits and overhead per productive hour",50,80
loaded_hourly_cost,,{pay_review},66.00,USD/hour,{finance},Annual pay review,Mid-year pay rise of 5.6%,52,84
baseline_handle_minutes,,{start},45,minutes,{ops},"Time study, 400 tickets before launch",Company default: median handle time without AI,40,50
cost_per_error,,{start},45,USD,{ops},Escalation and credit cost per misrouted ticket,Company default,25,90
baseline_error_rate,,{start},0.20,ratio,{ops},QA sample before launch,Company default: share of work items wrong without AI,0.15,0.25
build_cost,,{start},120000,USD,{finance},Project ledger PRJ-017,Company default (each system has its own),110000,140000
build_amortisation_months,,{start},24,months,{finance},Finance policy for internal software,,12,36
monthly_budget,,{start},15000,USD/month,{ml},Inference budget FY,Approved inference spend per month at full rollout,12000,18000
projected_monthly_volume,,{start},250000,events/month,{ops},Rollout plan: every support region,Calls per month at full rollout,150000,400000
headroom,,{start},3,x,{ml},Capacity policy,Peak-to-average safety factor,2,5
baseline_handle_minutes,ticket-assistant,{start},45,minutes,{ops},"Time study, 400 tickets before launch",Median ticket handle time without the assistant,40,50
cost_per_error,ticket-assistant,{start},45,USD,{ops},Escalation and credit cost per misrouted ticket,,25,90
baseline_error_rate,ticket-assistant,{start},0.20,ratio,{ops},QA sample before launch,Share of tickets misrouted or misdiagnosed without the assistant,0.15,0.25
build_cost,ticket-assistant,{start},120000,USD,{finance},Project ledger PRJ-017,,110000,140000
baseline_handle_minutes,invoice-matcher,{start},14,minutes,{ap},"Time study, 300 invoices keyed by hand",Median minutes to match an invoice by hand,12,17
cost_per_error,invoice-matcher,{start},40,USD,{ap},"Correction, supplier call and late fees per mis-posted invoice",,20,80
baseline_error_rate,invoice-matcher,{start},0.18,ratio,{ap},AP audit sample before launch,Share of invoices matched wrongly by hand,0.12,0.24
build_cost,invoice-matcher,{start},60000,USD,{finance},Project ledger PRJ-018,,50000,75000
monthly_budget,invoice-matcher,{start},1700,USD/month,{ml},Inference budget FY,Approved inference spend per month in production,1400,2000
projected_monthly_volume,invoice-matcher,{start},108000,events/month,{ap},AP volume plan,Matches per month in production,90000,130000
baseline_handle_minutes,contract-summariser,{pilot},55,minutes,{legal},"Time study, 40 contracts reviewed by hand",Median minutes to review a contract by hand,45,65
cost_per_error,contract-summariser,{pilot},150,USD,{legal},Rework per missed or misread clause,,80,300
baseline_error_rate,contract-summariser,{pilot},0.34,ratio,{legal},Second-review sample before the pilot,Share of first reviews that miss a risk,0.25,0.42
build_cost,contract-summariser,{pilot},45000,USD,{finance},Project ledger PRJ-019,,40000,60000
monthly_budget,contract-summariser,{pilot},1100,USD/month,{ml},Pilot budget,Inference spend per month if scaled to production,900,1300
projected_monthly_volume,contract-summariser,{pilot},8700,events/month,{legal},Legal volume plan,Summaries per month if scaled to production,6000,12000
"""
