/* ---
name: projected_inference_cost
title: Projected monthly inference cost at production volume
description: >
  What inference would cost per month in production, from the reporting week's unit cost:
  cost per inference of the week (sum of cost_usd / events) x projected_monthly_volume x
  headroom, with the assumptions effective at the week (greatest effective_from <=
  week_start); headroom defaults to 3 when the register has none. Compared with the
  monthly_budget assumption: numerator = projected cost, denominator = budget (so
  budget_ratio = projected / budget; see projected_budget_ratio for its thresholds). Weeks
  without a projected_monthly_volume assumption have no row. The unfinished current week is
  flagged partial.
grain: One row per reporting week with AI events and a projected volume assumption.
kind: cost
unit: usd
direction: lower_is_better
owner: finops@example.com
tests:
  - not_null(value)
  - unique(week_start)
  - range(value, 0, null)
--- */
with weekly_cost as (
    select
        week_start,
        sum(cost_usd) as cost_usd,
        count(*) as events
    from staging.ai_events
    group by week_start
),

projected as (
    select
        week_start,
        cost_usd::double / events as cost_per_inference,
        assumption_at('projected_monthly_volume', week_start)::double as volume,
        coalesce(assumption_at('headroom', week_start)::double, 3.0) as headroom,
        assumption_at('monthly_budget', week_start)::double as budget
    from weekly_cost
    where assumption_at('projected_monthly_volume', week_start) is not null
)

select
    p.week_start,
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
