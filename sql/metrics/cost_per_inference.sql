/* ---
name: cost_per_inference
title: Cost per inference
description: >
  Mean inference cost in USD per AI event of the reporting week: numerator = sum of cost_usd
  (summed as DECIMAL, then DOUBLE), denominator = events, so a roll-up is
  sum(numerator) / sum(denominator). The unfinished current week is flagged partial. Read
  from inference_cost (its cost and events).
grain: One row per reporting week, system and model version; one total row per week and system (model_version null); one row per week and model version over all systems (system null); and one company total row per week (all null).
kind: cost
unit: usd
direction: lower_is_better
dimensions: [system, model_version]
thresholds: {warn: 0.2, alert: 0.5, mode: change_pct}
tests:
  - range(value, 0, null)
tags: [week_local]
--- */
select
    week_start,
    system,
    model_version,
    value / events as value,
    value as numerator,
    events as denominator,
    flag
from metrics.inference_cost
