/* ---
name: mean_time_to_detect
title: Mean time to detect incidents
description: >
  Mean minutes from an incident's start to its detection, over incidents detected in the
  reporting week, per AI system and for the company (system null: every incident,
  unattributed ones included). numerator = total minutes to detect, denominator = incidents,
  so a roll-up is sum(numerator) / sum(denominator). Weeks without incidents have no row.
  The unfinished current week is flagged partial.
grain: One row per reporting week and system with at least one incident of it detected, plus one company row per week with an incident detected (system null).
kind: business
unit: minutes
direction: lower_is_better
dimensions: [system]
thresholds: {warn: 60, alert: 240}
tests:
  - range(value, 0, null)
--- */
with aggregated as (
    select
        week_start,
        system,
        sum(minutes_to_detect) as total_minutes,
        count(*) as incidents
    from staging.incidents
    group by grouping sets ((week_start, system), (week_start))
    having grouping(system) = 1 or system is not null
)

select
    a.week_start,
    a.system,
    a.total_minutes / a.incidents as value,
    a.total_minutes::double as numerator,
    a.incidents::double as denominator,
    partial_flag(a.week_start) as flag
from aggregated as a
