/* ---
name: handle_minutes_mean
title: Mean handle time, with vs without AI
description: >
  Mean handle time in minutes of work items closed in the reporting week that have a handle
  time, by whether the item was AI-assisted (null = all items). numerator = total handle
  minutes, denominator = items, so a roll-up is sum(numerator) / sum(denominator). The
  unfinished current week is flagged partial.
grain: One row per reporting week and ai_assisted value, plus one total row per week (ai_assisted null = all items).
kind: business
unit: minutes
direction: lower_is_better
owner: support-ops@example.com
dimensions: [ai_assisted]
tests:
  - not_null(value)
  - unique(week_start, ai_assisted)
  - range(value, 0, null)
--- */
with closed_items as (
    select
        item_id,
        closed_week as week_start,
        ai_assisted,
        handle_minutes
    from staging.work_items
    where closed_at is not null
        and handle_minutes is not null
),

aggregated as (
    select
        week_start,
        ai_assisted,
        sum(handle_minutes) as total_minutes,
        count(*) as items
    from closed_items
    group by grouping sets ((week_start, ai_assisted), (week_start))
)

select
    a.week_start,
    a.ai_assisted,
    a.total_minutes / a.items as value,
    a.total_minutes as numerator,
    a.items::double as denominator,
    case when w.is_partial then 'partial' end as flag
from aggregated as a
left join staging.weeks as w
    on w.week_start = a.week_start
