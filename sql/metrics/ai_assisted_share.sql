/* ---
name: ai_assisted_share
title: AI-assisted share of work items
description: >
  Share of work items closed in the reporting week that were handled with AI assistance:
  numerator = closed items with ai_assisted = true, denominator = closed items. The unfinished
  current week is flagged partial.
grain: One row per reporting week in which at least one work item was closed.
kind: business
unit: ratio
direction: higher_is_better
owner: support-ops@example.com
tests:
  - not_null(value)
  - unique(week_start)
  - range(value, 0, 1)
--- */
with closed_items as (
    select
        item_id,
        closed_week as week_start,
        ai_assisted
    from staging.work_items
    where closed_at is not null
),

counted as (
    select
        week_start,
        count(*) as items,
        count_if(ai_assisted) as assisted_items
    from closed_items
    group by week_start
)

select
    c.week_start,
    c.assisted_items::double / c.items as value,
    c.assisted_items::double as numerator,
    c.items::double as denominator,
    partial_flag(c.week_start) as flag
from counted as c
