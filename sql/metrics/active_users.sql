/* ---
name: active_users
title: Weekly active AI users
description: >
  Number of distinct users with at least one AI event in the reporting week (whether or not
  they are in the users register). Every week of the reporting calendar has a row (0 when
  nobody used it). The unfinished current week is flagged partial.
grain: One row per reporting week.
kind: business
unit: count
direction: higher_is_better
owner: support-ops@example.com
thresholds: {warn: 0.1, alert: 0.25, mode: change_pct}
tests:
  - not_null(value)
  - unique(week_start)
  - range(value, 0, null)
tags: [week_local]
--- */
with active_users as (
    select distinct
        week_start,
        user_id
    from staging.ai_events
),

counted as (
    select
        w.week_start,
        w.is_partial,
        count(a.user_id) as users
    from staging.weeks as w
    left join active_users as a
        on a.week_start = w.week_start
    group by w.week_start, w.is_partial
)

select
    week_start,
    users::double as value,
    case when is_partial then 'partial' end as flag
from counted
