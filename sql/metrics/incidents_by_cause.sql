/* ---
name: incidents_by_cause
title: Incidents by cause
description: >
  Number of incidents detected in the reporting week, by cause (data_drift, model_regression,
  outage, data_pipeline, cost_spike, other). The total row (cause null) exists for every
  week of the reporting calendar, 0 when there was none; a cause row only when it occurred.
  The unfinished current week is flagged partial.
grain: One row per reporting week and cause with incidents, plus one total row per week (cause null = all causes).
kind: business
unit: count
direction: lower_is_better
owner: support-ops@example.com
dimensions: [cause]
thresholds: {warn: 2, alert: 4}
tests:
  - not_null(value)
  - unique(week_start, cause)
  - range(value, 0, null)
--- */
with calendar as (
    select week_start
    from staging.weeks
    union
    select week_start
    from staging.incidents
),

incidents as (
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
        cause,
        count(incident_id) as incidents
    from incidents
    group by grouping sets ((week_start, cause), (week_start))
    -- the calendar's empty weeks must not become a 'cause null' dimension row
    having grouping(cause) = 1 or cause is not null
)

select
    c.week_start,
    c.cause,
    c.incidents::double as value,
    partial_flag(c.week_start) as flag
from counted as c
