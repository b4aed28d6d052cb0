/* ---
name: incidents_by_cause
title: Incidents by cause
description: >
  Number of incidents detected in the reporting week, by AI system and cause (data_drift,
  model_regression, outage, data_pipeline, cost_spike, other). Incidents not attributed to
  a system (system null) count in the company rows (system null) only. The company total
  row (system and cause null) exists for every week of the reporting calendar and a
  system's total row (cause null) for every week from its first incident on, 0 when there
  was none; a cause row only when it occurred. The unfinished current week is flagged
  partial.
grain: One row per reporting week, system and cause with incidents; one total row per week and system (cause null, from the system's first incident); one row per week and cause over all systems (system null); and one company total row per week (all null).
kind: business
unit: count
direction: lower_is_better
dimensions: [system, cause]
thresholds: {warn: 2, alert: 4}
tests:
  - range(value, 0, null)
--- */
with calendar as (
    select week_start
    from staging.weeks
    union
    select week_start
    from staging.incidents
),

system_calendar as (
    select
        c.week_start,
        s.system
    from calendar as c
    inner join (
        select
            system,
            min(week_start) as first_week
        from staging.incidents
        where system is not null
        group by system
    ) as s
        on c.week_start >= s.first_week
),

-- per system (every week from its first incident on) and for the company (every week)
per_system as (
    select
        c.week_start,
        c.system,
        i.incident_id,
        i.cause
    from system_calendar as c
    left join staging.incidents as i
        on i.week_start = c.week_start
        and i.system = c.system
),

company as (
    select
        c.week_start,
        i.incident_id,
        i.cause
    from calendar as c
    left join staging.incidents as i
        on i.week_start = c.week_start
),

counted as (
    select
        week_start,
        system,
        cause,
        count(incident_id) as incidents
    from per_system
    group by grouping sets ((week_start, system, cause), (week_start, system))
    -- the calendar's empty weeks must not become a 'cause null' dimension row
    having grouping(cause) = 1 or cause is not null
    union all
    select
        week_start,
        null::varchar as system,
        cause,
        count(incident_id) as incidents
    from company
    group by grouping sets ((week_start, cause), (week_start))
    having grouping(cause) = 1 or cause is not null
)

select
    c.week_start,
    c.system,
    c.cause,
    c.incidents::double as value,
    partial_flag(c.week_start) as flag
from counted as c
