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
        {'model_version': model_version} as dims,
        cost_usd as x
    from staging.ai_events
)

select
    week_start,
    dims.model_version as model_version,
    value,
    numerator,
    denominator,
    flag
from weekly_mean('events')
