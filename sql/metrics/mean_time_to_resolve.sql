/* ---
name: mean_time_to_resolve
title: Mean time to resolve incidents
description: >
  Mean minutes from an incident's detection to its resolution, over incidents resolved in the
  reporting week (week of resolved_at; open incidents are not counted until resolved; extra
  column open_incidents = incidents detected by the end of the week and not resolved by then),
  per AI system and for the company (system null: every incident, unattributed ones
  included). numerator = total minutes to resolve, denominator = incidents resolved. Weeks
  with no resolution have no row. The unfinished current week is flagged partial.
grain: One row per reporting week and system with at least one incident of it resolved, plus one company row per week with an incident resolved (system null).
kind: business
unit: minutes
direction: lower_is_better
dimensions: [system]
thresholds: {warn: 480, alert: 1440}
tests:
  - range(value, 0, null)
--- */
with resolved as (
    select
        system,
        week_of(resolved_at) as week_start,
        minutes_to_resolve
    from staging.incidents
    where resolved_at is not null
),

aggregated as (
    select
        week_start,
        system,
        sum(minutes_to_resolve) as total_minutes,
        count(*) as incidents
    from resolved
    group by grouping sets ((week_start, system), (week_start))
    having grouping(system) = 1 or system is not null
),

open_at_week_end as (
    select
        a.week_start,
        a.system,
        count(i.incident_id) as open_incidents
    from aggregated as a
    left join staging.incidents as i
        on i.week_start <= a.week_start
        and (i.resolved_at is null or week_of(i.resolved_at) > a.week_start)
        and (a.system is null or i.system = a.system)
    group by a.week_start, a.system
)

select
    a.week_start,
    a.system,
    a.total_minutes / a.incidents as value,
    a.total_minutes::double as numerator,
    a.incidents::double as denominator,
    o.open_incidents::double as open_incidents,
    partial_flag(a.week_start) as flag
from aggregated as a
inner join open_at_week_end as o
    on o.week_start = a.week_start
    and o.system is not distinct from a.system
