/* ---
name: adoption_rate
title: Adoption
description: >
  Share of eligible users who used AI in the reporting week: numerator = eligible users with
  at least one AI event in the week, denominator = users eligible for at least one day of the
  week (eligible_from <= week end and eligible_to null or >= week start). AI users missing
  from the users register are not counted here (see active_users).
  Per AI system: the system's population is the eligible users of the teams it serves, a
  team being served when any of its users has an event of the system (in any week); active =
  an event of that system in the week. Rows start at the system's first week with events.
  Company rows (system null): every eligible user, active = an event of any system; a user
  of two systems counts once, so systems' numerators may add up to more than the company's.
  The unfinished current week is flagged partial.
grain: One row per reporting week, system and team it serves; one total row per week and system (team null); one row per week and team over all systems (system null); and one company total row per week (system and team null).
kind: business
unit: ratio
direction: higher_is_better
dimensions: [system, team]
thresholds: {warn: 0.2, alert: 0.35, mode: change_pct}
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
        system,
        user_id
    from staging.ai_events
),

-- the teams a system serves (any of their users ever used it), from its first week on
system_teams as (
    select
        a.system,
        u.team,
        min(a.week_start) over (partition by a.system) as first_week
    from active_users as a
    inner join staging.users as u
        on u.user_id = a.user_id
    qualify row_number() over (partition by a.system, u.team order by a.week_start) = 1
),

system_joined as (
    select
        e.week_start,
        t.system,
        e.team,
        a.user_id is not null as is_active
    from eligible_users as e
    inner join system_teams as t
        on t.team = e.team
        and e.week_start >= t.first_week
    left join active_users as a
        on a.week_start = e.week_start
        and a.system = t.system
        and a.user_id = e.user_id
),

company_active as (
    select distinct
        week_start,
        user_id
    from active_users
),

company_joined as (
    select
        e.week_start,
        e.team,
        a.user_id is not null as is_active
    from eligible_users as e
    left join company_active as a
        on a.week_start = e.week_start
        and a.user_id = e.user_id
),

counted as (
    select
        week_start,
        system,
        team,
        count(*) as eligible,
        count_if(is_active) as active
    from system_joined
    group by grouping sets ((week_start, system, team), (week_start, system))
    union all
    select
        week_start,
        null::varchar as system,
        team,
        count(*) as eligible,
        count_if(is_active) as active
    from company_joined
    group by grouping sets ((week_start, team), (week_start))
)

select
    c.week_start,
    c.system,
    c.team,
    c.active::double / c.eligible as value,
    c.active::double as numerator,
    c.eligible::double as denominator,
    partial_flag(c.week_start) as flag
from counted as c
