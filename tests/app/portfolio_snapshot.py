"""A small hand-built snapshot with two AI systems, for the portfolio and readiness tests.

Weeks 2026-10-12 .. 2026-11-09 complete, 2026-11-16 partial. ``ticket-assistant`` is healthy
(production, rollback target, budget met, fresh, incidents measured); ``contract-summariser``
is a pilot that costs more than it returns, over budget at production volume, stale, with no
rollback target and an unresolved incident. :func:`scorecards` reads any snapshot's readiness
per system, as the portfolio page does.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from outcomes.app.views import readiness

WEEKS = [dt.date(2026, 10, 12) + dt.timedelta(weeks=n) for n in range(6)]  # last is partial
LAST_COMPLETE = WEEKS[-2]
SYSTEMS = ("contract-summariser", "ticket-assistant")


def build(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Create the snapshot's tables in ``con`` and return it."""
    con.execute("create schema if not exists staging")
    con.execute(
        "create table staging.weeks (week_start date, week_end date, is_partial boolean, "
        "week_number bigint)"
    )
    for n, w in enumerate(WEEKS):
        con.execute(
            "insert into staging.weeks values (?, ?, ?, ?)",
            [w, w + dt.timedelta(days=6), w == WEEKS[-1], n + 1],
        )
    con.execute(
        "create table main.build_settings (key varchar, value varchar);"
        "insert into main.build_settings values ('as_of', '2026-11-19 12:00:00'), "
        "('currency', 'USD'), ('label_coverage_floor', '0.2')"
    )
    con.execute(
        """create table staging.systems (system varchar, effective_from date, effective_to date,
        stage varchar, owner varchar, rollback_target varchar, production_events_per_week bigint,
        inference_budget_per_week decimal(18,2), freshness_sla_hours double, note varchar)"""
    )
    con.execute(
        """insert into staging.systems values
        ('ticket-assistant', '2025-11-17', '2026-03-01', 'pilot', 'support@example.com',
         null, 10000, 500.00, 48, null),
        ('ticket-assistant', '2026-03-02', null, 'production', 'support@example.com',
         'v1.4', 10000, 500.00, 48, 'healthy'),
        ('contract-summariser', '2026-04-06', null, 'pilot', 'legal@example.com',
         null, 2000, 50.00, 24, '**bold** <img src=x>')"""
    )
    con.execute(
        """create table main.roi_ledger (week_start date, system varchar, line_id varchar,
        category varchar, title varchar, formula varchar, formula_filled varchar, inputs json,
        amount decimal(38,10), currency varchar)"""
    )
    for n, w in enumerate(WEEKS[:-1]):
        for system, benefit, cost in (
            ("ticket-assistant", f"{100 + 10 * n}.3333333333", "50.1111111111"),
            ("contract-summariser", "5.0000000001", "40.2500000000"),
        ):
            for line, category, amount in (
                ("time_saved", "benefit", benefit),
                ("inference", "cost", cost),
            ):
                con.execute(
                    "insert into main.roi_ledger values (?, ?, ?, ?, ?, '', '', '{}', ?, 'USD')",
                    [w, system, line, category, line, amount],
                )
    # the current, partial week: not in the portfolio's figures to date
    con.execute(
        "insert into main.roi_ledger values (?, 'ticket-assistant', 'time_saved', 'benefit', "
        "'time_saved', '', '', '{}', 1000, 'USD')",
        [WEEKS[-1]],
    )
    con.execute(
        """create table main.metric_definitions (name varchar, schema varchar, title varchar,
        kind varchar, unit varchar, direction varchar, owner varchar, thresholds varchar)"""
    )
    con.execute(
        """insert into main.metric_definitions values
        ('label_coverage', 'metrics', 'Label coverage', 'model', 'ratio', 'higher_is_better',
         'ml@example.com', '{"warn": 0.3, "alert": 0.2}'),
        ('adoption_rate', 'metrics', 'Adoption', 'business', 'ratio', 'higher_is_better',
         'ops@example.com', null),
        ('cost_per_inference', 'metrics', 'Cost per inference', 'cost', 'usd', 'lower_is_better',
         '', null),
        ('drift_psi', 'metrics', 'PSI', 'drift', 'score', 'lower_is_better', 'ml@example.com',
         '{"warn": 0.1, "alert": 0.25}'),
        ('drift_share', 'metrics', 'Drift share', 'drift', 'ratio', 'lower_is_better',
         'ml@example.com', '{"warn": 0.25, "alert": 0.5}'),
        ('value_at_risk', 'metrics', 'Value at risk', 'business', 'usd', 'lower_is_better',
         'finops@example.com', null),
        ('dq_null_rate', 'metrics', 'Null rate', 'quality', 'ratio', 'lower_is_better',
         'data@example.com', '{"warn": 0.01, "alert": 0.05}')"""
    )
    con.execute(
        """create table main.metric_values (metric varchar, week_start date, dimensions varchar,
        value double, numerator double, denominator double, flag varchar, extras varchar)"""
    )
    values = [
        ("label_coverage", '{"system":"ticket-assistant"}', 0.45),
        ("label_coverage", '{"system":"contract-summariser"}', 0.05),
        ("label_coverage", "{}", 0.40),
        ("adoption_rate", '{"system":"ticket-assistant"}', 0.62),
        ("adoption_rate", '{"system":"contract-summariser"}', 0.08),
        ("adoption_rate", "{}", 0.41),
        ("cost_per_inference", '{"system":"ticket-assistant"}', 0.004),
        ("cost_per_inference", '{"system":"ticket-assistant","model_version":"v2"}', 0.9),
        ("cost_per_inference", '{"system":"contract-summariser"}', 0.05),
        ("drift_psi", '{"feature":"amount","system":"ticket-assistant"}', 0.02),
        ("drift_share", '{"system":"ticket-assistant"}', 0.0),
        ("drift_share", '{"system":"contract-summariser"}', 0.5),
        ("dq_null_rate", '{"source":"ai_events"}', 0.0),
    ]
    for metric, dims, value in values:
        con.execute(
            "insert into main.metric_values values (?, ?, ?, ?, null, null, null, '{}')",
            [metric, LAST_COMPLETE, dims, value],
        )
    con.execute(
        "insert into main.metric_values values ('value_at_risk', ?, "
        """'{"system":"contract-summariser"}', 120.5, null, null, null, '{"low":80,"high":150}')""",
        [LAST_COMPLETE],
    )
    con.execute(
        """create table main.alerts (metric varchar, week_start date, dimensions varchar,
        level varchar, value double)"""
    )
    con.execute(
        """insert into main.alerts values
        ('label_coverage', ?, '{"system":"contract-summariser"}', 'alert', 0.05),
        ('drift_share', ?, '{"system":"contract-summariser"}', 'alert', 0.5),
        ('adoption_rate', ?, '{}', 'warn', 0.41)""",
        [LAST_COMPLETE] * 3,
    )
    con.execute(
        """create table staging.ai_events (event_id varchar, occurred_at timestamp,
        week_start date, system varchar)"""
    )
    con.execute(
        """insert into staging.ai_events values
        ('e1', '2026-11-18 20:00:00', '2026-11-16', 'ticket-assistant'),
        ('e2', '2026-11-05 10:00:00', '2026-11-02', 'ticket-assistant'),
        ('e3', '2026-11-16 09:00:00', '2026-11-16', 'contract-summariser')"""
    )
    con.execute(
        """create table staging.incidents (incident_id varchar, week_start date, system varchar,
        minutes_to_detect double, minutes_to_resolve double, resolved_at timestamp)"""
    )
    con.execute(
        """insert into staging.incidents values
        ('i1', '2026-06-01', 'ticket-assistant', 60, 600, '2026-06-02 10:00:00'),
        ('i2', '2026-08-03', 'ticket-assistant', 120, 1200, '2026-08-04 10:00:00'),
        ('i3', '2026-10-19', 'contract-summariser', 300, null, null)"""
    )
    return con


def scorecards(con, snap, store) -> dict[str, tuple]:
    """Each system's readiness items in the portfolio snapshot ``snap``, from ``store``'s
    sign-offs and verdicts (money in USD)."""
    week = snap.week
    signoffs = store.signoffs_between(readiness.review_weeks(week)[0], week)
    verdicts = store.verdicts()
    counts = readiness.verdict_systems(con, readiness.recent_verdicts(verdicts, week))
    out = {}
    for row in snap.rows:
        if row.system:
            evidence = readiness.snapshot_evidence(con, row.system, week, row.version, "USD")
            out[row.system] = readiness.scorecard(evidence, signoffs, verdicts, counts)
    return out
