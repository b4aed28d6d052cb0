/* ---
name: user_retention
title: Week-over-week retention of AI users
description: >
  Share of the users active (at least one AI event) in the previous reporting week who are
  active again in this week: numerator = users active in both weeks, denominator = users
  active in the previous week. Per AI system (active = an event of that system in both
  weeks) and for the company (system null: an event of any system). Weeks after a week with
  no active user have no row. The unfinished current week is flagged partial.
grain: One row per reporting week and system whose previous week had active users of it, plus one company row per week (system null).
kind: business
unit: ratio
direction: higher_is_better
dimensions: [system]
thresholds: {warn: 0.7, alert: 0.5}
--- */
-- system null: the company, where any system's event makes a user active
with active_users as (
    select distinct
        week_start,
        system,
        user_id
    from staging.ai_events
    union all
    select distinct
        week_start,
        null::varchar as system,
        user_id
    from staging.ai_events
),

previous_users as (
    select
        week_start + 7 as week_start,
        system,
        user_id
    from active_users
),

counted as (
    select
        p.week_start,
        p.system,
        count(*) as previous_active,
        count(a.user_id) as retained
    from previous_users as p
    left join active_users as a
        on a.week_start = p.week_start
        and a.system is not distinct from p.system
        and a.user_id = p.user_id
    group by p.week_start, p.system
)

select
    c.week_start,
    c.system,
    c.retained::double / c.previous_active as value,
    c.retained::double as numerator,
    c.previous_active::double as denominator,
    case when w.is_partial then 'partial' end as flag
from counted as c
inner join staging.weeks as w
    on w.week_start = c.week_start
