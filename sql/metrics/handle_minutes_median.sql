/* ---
name: handle_minutes_median
title: Median handle time, with vs without AI
description: >
  Median handle time in minutes of work items closed in the reporting week that have a
  handle time, by whether the item was AI-assisted (ai_assisted true / false; null = all items).
  quantile_cont, i.e. the mean of the two middle values for an even count. Not additive: a
  month's median must be recomputed from items. The unfinished current week is flagged partial.
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
        quantile_cont(handle_minutes, 0.5) as median_minutes,
        count(*) as items
    from closed_items
    group by grouping sets ((week_start, ai_assisted), (week_start))
)

select
    a.week_start,
    a.ai_assisted,
    a.median_minutes::double as value,
    a.items::double as n,
    case when w.is_partial then 'partial' end as flag
from aggregated as a
left join staging.weeks as w
    on w.week_start = a.week_start
