/* ---
name: event_volume
title: AI events by action tier
description: >
  Number of AI events in the reporting week they occurred in, by action tier (suggest: a
  read-only suggestion, approve: a human approves the action, auto: executed automatically).
  The unfinished current week is flagged partial.
grain: One row per reporting week, system and action tier; one total row per week and system (action_tier null); one row per week and action tier over all systems (system null); and one company total row per week (all null).
kind: model
unit: count
direction: higher_is_better
dimensions: [system, action_tier]
thresholds: {warn: 0.3, alert: 0.5, mode: vs_trailing_mean}
tags: [week_local]
--- */
with counted as (
    select
        week_start,
        system,
        action_tier,
        count(*) as events
    from staging.ai_events
    group by grouping sets (
        (week_start, system, action_tier),
        (week_start, system),
        (week_start, action_tier),
        (week_start)
    )
    having grouping(system) = 1 or system is not null
)

select
    c.week_start,
    c.system,
    c.action_tier,
    c.events::double as value,
    partial_flag(c.week_start) as flag
from counted as c
