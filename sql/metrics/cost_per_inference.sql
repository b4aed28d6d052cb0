/* ---
name: cost_per_inference
title: Cost per inference
description: >
  Mean inference cost in USD per AI event of the reporting week: numerator = sum of cost_usd
  (summed as DECIMAL, then DOUBLE), denominator = events, so a roll-up is
  sum(numerator) / sum(denominator). The unfinished current week is flagged partial.
grain: One row per reporting week and model version, plus one total row per week (model_version null = all).
kind: cost
unit: usd
direction: lower_is_better
owner: finops@example.com
dimensions: [model_version]
thresholds: {warn: 0.2, alert: 0.5, mode: change_pct}
tests:
  - not_null(value)
  - unique(week_start, model_version)
  - range(value, 0, null)
tags: [week_local]
--- */
with events as (
    select
        week_start,
        model_version,
        cost_usd
    from staging.ai_events
),

aggregated as (
    select
        week_start,
        model_version,
        sum(cost_usd) as cost_usd,
        count(*) as events
    from events
    group by grouping sets ((week_start, model_version), (week_start))
)

select
    a.week_start,
    a.model_version,
    a.cost_usd::double / a.events as value,
    a.cost_usd::double as numerator,
    a.events::double as denominator,
    case when w.is_partial then 'partial' end as flag
from aggregated as a
left join staging.weeks as w
    on w.week_start = a.week_start
