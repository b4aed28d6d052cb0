/* ---
name: mean_time_to_detect
title: Mean time to detect incidents
description: >
  Mean minutes from an incident's start to its detection, over incidents detected in the
  reporting week. numerator = total minutes to detect, denominator = incidents, so a roll-up
  is sum(numerator) / sum(denominator). Weeks without incidents have no row. The unfinished
  current week is flagged partial.
grain: One row per reporting week with at least one incident detected.
kind: business
unit: minutes
direction: lower_is_better
owner: support-ops@example.com
thresholds: {warn: 60, alert: 240}
tests:
  - not_null(value)
  - unique(week_start)
  - range(value, 0, null)
--- */
with incidents as (
    select
        incident_id,
        week_start,
        minutes_to_detect
    from staging.incidents
),

aggregated as (
    select
        week_start,
        sum(minutes_to_detect) as total_minutes,
        count(*) as incidents
    from incidents
    group by week_start
)

select
    a.week_start,
    a.total_minutes / a.incidents as value,
    a.total_minutes::double as numerator,
    a.incidents::double as denominator,
    partial_flag(a.week_start) as flag
from aggregated as a
