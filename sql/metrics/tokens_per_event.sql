/* ---
name: tokens_per_event
title: Tokens per event
description: >
  Mean tokens (tokens_in + tokens_out) per AI event of the reporting week: numerator = total
  tokens, denominator = events; extra columns split the mean into tokens_in and tokens_out.
  The unfinished current week is flagged partial.
grain: One row per reporting week, system and model version; one total row per week and system (model_version null); one row per week and model version over all systems (system null); and one company total row per week (all null).
kind: cost
unit: tokens
direction: lower_is_better
dimensions: [system, model_version]
thresholds: {warn: 0.25, alert: 0.5, mode: change_pct}
tests:
  - range(value, 0, null)
tags: [week_local]
--- */
with aggregated as (
    select
        week_start,
        system,
        model_version,
        sum(tokens_in) as tokens_in,
        sum(tokens_out) as tokens_out,
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
    (a.tokens_in + a.tokens_out)::double / a.events as value,
    (a.tokens_in + a.tokens_out)::double as numerator,
    a.events::double as denominator,
    a.tokens_in::double / a.events as tokens_in_per_event,
    a.tokens_out::double / a.events as tokens_out_per_event,
    partial_flag(a.week_start) as flag
from aggregated as a
