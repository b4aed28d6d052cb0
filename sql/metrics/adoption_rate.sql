/* ---
name: adoption_rate
title: Adoption
description: >
  Share of eligible users who used the AI system in the reporting week: numerator = eligible
  users with at least one AI event in the week, denominator = users eligible for at least one
  day of the week (eligible_from <= week end and eligible_to null or >= week start). AI users
  missing from the users register are not counted here (see active_users). The unfinished
  current week is flagged partial.
grain: One row per reporting week and team, plus one total row per week (team null = all teams).
kind: business
unit: ratio
direction: higher_is_better
owner: support-ops@example.com
dimensions: [team]
thresholds: {warn: 0.2, alert: 0.35, mode: change_pct}
tests:
  - not_null(value)
  - unique(week_start, team)
  - range(value, 0, 1)
--- */
with eligible_users as (
    select
        w.week_start,
        u.user_id,
        u.team
    from staging.weeks as w
    inner join staging.users as u
        on u.eligible_from <= w.week_end
        and (u.eligible_to is null or u.eligible_to >= w.week_start)
),

active_users as (
    select distinct
        week_start,
        user_id
    from staging.ai_events
),

joined as (
    select
        e.week_start,
        e.team,
        e.user_id,
        a.user_id is not null as is_active
    from eligible_users as e
    left join active_users as a
        on a.week_start = e.week_start
        and a.user_id = e.user_id
),

counted as (
    select
        week_start,
        team,
        count(*) as eligible,
        count_if(is_active) as active
    from joined
    group by grouping sets ((week_start, team), (week_start))
)

select
    c.week_start,
    c.team,
    c.active::double / c.eligible as value,
    c.active::double as numerator,
    c.eligible::double as denominator,
    partial_flag(c.week_start) as flag
from counted as c
