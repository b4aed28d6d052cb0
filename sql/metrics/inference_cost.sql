/* ---
name: inference_cost
title: Inference cost
description: >
  Inference spend in USD of the reporting week: the sum of cost_usd of every AI event that
  occurred in the week, summed exactly as DECIMAL (extra column cost_usd keeps the DECIMAL for
  the ROI ledger), value is that sum as DOUBLE. The unfinished current week is flagged
  partial.
grain: One row per reporting week, system and model version; one total row per week and system (model_version null); one row per week and model version over all systems (system null); and one company total row per week (all null).
kind: cost
unit: usd
direction: lower_is_better
dimensions: [system, model_version]
tests:
  - range(value, 0, null)
tags: [week_local]
--- */
with aggregated as (
    select
        week_start,
        system,
        model_version,
        sum(cost_usd) as cost_usd,
        count(*) as events
    from staging.ai_events
    group by grouping sets (
        (week_start, system, model_version),
        (week_start, system),
        (week_start, model_version),
        (week_start)
    )
    having grouping(system) = 1 or system is not null
)

select
    a.week_start,
    a.system,
    a.model_version,
    a.cost_usd::double as value,
    a.cost_usd,
    a.events::double as events,
    partial_flag(a.week_start) as flag
from aggregated as a
