/* ---
name: errors_avoided
title: Errors avoided
description: >
  Value of the errors an AI system avoided in the reporting week: (baseline error rate - measured
  error rate) x event volume x cost per error. error_rate is metrics.error_rate of the system, all model
  versions and segments (wrong / labelled events), as the exact quotient rounded half up to
  10 decimal places; event_volume is every AI event of the system in the week (metrics.event_volume, all
  action tiers): the error rate measured on the labelled events stands for all events,
  labelled or not. baseline_error_rate and cost_per_error are the assumptions in force at the
  week for the system (its own version, else the company-wide one: macro assumption_for). A week whose error rate is above the baseline
  has a negative amount. Weeks without labelled events or without both assumptions have no
  row. amount is the formula over these inputs in exact DECIMAL, kept to 10 decimal places.
grain: One row per reporting week and AI system with labelled events and both assumptions in force.
category: benefit
formula: (baseline_error_rate - error_rate) * event_volume * cost_per_error
inputs:
  baseline_error_rate: {assumption: baseline_error_rate}
  error_rate: {metric: error_rate}
  event_volume: {metric: event_volume}
  cost_per_error: {assumption: cost_per_error}
--- */
with measured as (
    select
        week_start,
        system,
        numerator::hugeint as wrong_events,
        denominator::hugeint as labelled_events
    from metrics.error_rate
    where system is not null
        and model_version is null
        and segment is null
        and denominator > 0
),

rates as (
    -- DuckDB divides DECIMALs in DOUBLE: this is the exact quotient wrong / labelled, rounded
    -- half up to 10 places, in integer arithmetic.
    select
        week_start,
        system,
        ((2 * wrong_events * 10000000000 + labelled_events) // (2 * labelled_events))::decimal(38, 0)
            * 0.0000000001 as error_rate,
        -- arguments qualified: the Spark build inlines the macro, where a bare system would
        -- bind to the assumptions' own column
        assumption_for('baseline_error_rate', m.system, m.week_start) as baseline_error_rate,
        assumption_for('cost_per_error', m.system, m.week_start) as cost_per_error
    from measured as m
),

volumes as (
    select
        week_start,
        system,
        value::decimal(38, 0) as event_volume
    from metrics.event_volume
    where system is not null
        and action_tier is null
),

valued as (
    select
        r.week_start,
        r.system,
        r.baseline_error_rate,
        r.error_rate::decimal(38, 10) as error_rate,
        v.event_volume,
        r.cost_per_error,
        ((r.baseline_error_rate - r.error_rate) * v.event_volume * r.cost_per_error)
            ::decimal(38, 10) as amount
    from rates as r
    inner join volumes as v
        on v.week_start = r.week_start
        and v.system = r.system
    where r.baseline_error_rate is not null
        and r.cost_per_error is not null
)

select
    week_start,
    system,
    baseline_error_rate,
    error_rate,
    event_volume,
    cost_per_error,
    amount,
    amount::double as value
from valued
