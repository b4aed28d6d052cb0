/* ---
name: cost_per_hour_saved
title: Inference cost per hour saved
description: >
  Inference spend of the reporting week (metrics.inference_cost, all model versions) divided
  by the hours saved that week (metrics.hours_saved): numerator = cost in USD, denominator =
  hours saved; per AI system (its events' cost over its hours saved) and for the company
  (system null). Weeks with no hours saved, or a net loss (hours saved <= 0), have no row:
  the ratio means nothing there. Flagged partial when either input is.
grain: One row per reporting week and system with positive hours saved, plus one company row per week with positive hours saved (system null).
kind: cost
unit: usd
direction: lower_is_better
dimensions: [system]
thresholds: {warn: 0.25, alert: 0.5, mode: change_pct}
tests:
  - range(value, 0, null)
--- */
with weekly_cost as (
    select
        week_start,
        system,
        value as cost_usd,
        flag
    from metrics.inference_cost
    where model_version is null
),

saved as (
    select
        week_start,
        system,
        value as hours,
        flag
    from metrics.hours_saved
    where value > 0
)

select
    c.week_start,
    c.system,
    c.cost_usd / s.hours as value,
    c.cost_usd as numerator,
    s.hours as denominator,
    coalesce(c.flag, s.flag) as flag
from weekly_cost as c
inner join saved as s
    on s.week_start = c.week_start
    and s.system is not distinct from c.system
