/* ---
name: projected_inference_cost
title: Projected monthly inference cost at production volume
description: >
  What inference would cost per month in production, from the reporting week's unit cost:
  cost per inference of the week (metrics.cost_per_inference, all model versions) x monthly
  volume x headroom.
  Per AI system: its own events' unit cost; volume = production_events_per_week of the
  systems register (staging.systems, the version in force at the week) x 52 / 12, budget =
  its inference_budget_per_week x 52 / 12 (weekly figures turned into months so every row
  has one unit; the ratio to the budget is the same either way); headroom =
  assumption_for('headroom', system, week), 3 when the register has none. Weeks of a system
  whose register version has no production volume have no row. Company row (system null):
  all events' unit cost x the projected_monthly_volume assumption (company-wide) x headroom,
  budget = the monthly_budget assumption; not the sum of the systems' rows (its own plan).
  Assumptions in force at the week (greatest effective_from <= week_start). numerator =
  projected cost, denominator = budget (so budget_ratio = projected / budget; see
  projected_budget_ratio for its thresholds). The unfinished current week is flagged partial.
grain: One row per reporting week and system with AI events and a production volume in the systems register, plus one company row per week with AI events and a projected_monthly_volume assumption (system null).
kind: cost
unit: usd
direction: lower_is_better
dimensions: [system]
tests:
  - range(value, 0, null)
--- */
with unit_cost as (
    select
        week_start,
        system,
        value as cost_per_inference
    from metrics.cost_per_inference
    where model_version is null
),

-- a system's register version in force at the week
registered as (
    select
        c.week_start,
        c.system,
        r.production_events_per_week::double as volume_per_week,
        r.inference_budget_per_week::double as budget_per_week
    from unit_cost as c
    inner join staging.systems as r
        on r.system = c.system
        and r.effective_from <= c.week_start
        and (r.effective_to is null or r.effective_to >= c.week_start)
    where r.production_events_per_week is not null
),

system_projected as (
    select
        c.week_start,
        c.system,
        c.cost_per_inference,
        r.volume_per_week * 52 / 12 as volume,
        coalesce(assumption_for('headroom', c.system, c.week_start)::double, 3.0) as headroom,
        r.budget_per_week * 52 / 12 as budget
    from unit_cost as c
    inner join registered as r
        on r.week_start = c.week_start
        and r.system = c.system
),

company_projected as (
    select
        week_start,
        null::varchar as system,
        cost_per_inference,
        assumption_at('projected_monthly_volume', week_start)::double as volume,
        coalesce(assumption_at('headroom', week_start)::double, 3.0) as headroom,
        assumption_at('monthly_budget', week_start)::double as budget
    from unit_cost
    where system is null
        and assumption_at('projected_monthly_volume', week_start) is not null
),

projected as (
    select * from system_projected
    union all
    select * from company_projected
)

select
    p.week_start,
    p.system,
    p.cost_per_inference * p.volume * p.headroom as value,
    p.cost_per_inference * p.volume * p.headroom as numerator,
    p.budget as denominator,
    p.cost_per_inference * p.volume * p.headroom / p.budget as budget_ratio,
    p.cost_per_inference,
    p.volume,
    p.headroom,
    p.budget,
    partial_flag(p.week_start) as flag
from projected as p
