/* ---
name: active_users
title: Weekly active AI users
description: >
  Number of distinct users with at least one AI event in the reporting week (whether or not
  they are in the users register), per AI system and for the company (system null: distinct
  users of any system, so a user of two systems counts once and the systems' rows may add up
  to more than the company's). The company has a row for every week of the reporting
  calendar, a system for every week from its first event on (0 when nobody used it). The
  unfinished current week is flagged partial.
grain: One row per reporting week and system (from the system's first week with events), plus one company row per week (system null).
kind: business
unit: count
direction: higher_is_better
dimensions: [system]
thresholds: {warn: 0.1, alert: 0.25, mode: change_pct}
tests:
  - range(value, 0, null)
tags: [week_local]
--- */
with active_users as (
    select distinct
        week_start,
        system,
        user_id
    from staging.ai_events
),

system_weeks as (
    select
        w.week_start,
        w.is_partial,
        s.system
    from staging.weeks as w
    inner join (
        select
            system,
            min(week_start) as first_week
        from active_users
        group by system
    ) as s
        on w.week_start >= s.first_week
),

per_system as (
    select
        g.week_start,
        g.is_partial,
        g.system,
        count(a.user_id) as users
    from system_weeks as g
    left join active_users as a
        on a.week_start = g.week_start
        and a.system = g.system
    group by g.week_start, g.is_partial, g.system
),

company as (
    select
        w.week_start,
        w.is_partial,
        null::varchar as system,
        count(distinct a.user_id) as users
    from staging.weeks as w
    left join active_users as a
        on a.week_start = w.week_start
    group by w.week_start, w.is_partial
),

counted as (
    select * from per_system
    union all
    select * from company
)

select
    week_start,
    system,
    users::double as value,
    case when is_partial then 'partial' end as flag
from counted
