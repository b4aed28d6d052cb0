/* ---
name: work_items_handled
title: Work items handled
description: >
  Number of support work items closed in the reporting week (closed_at not null, any outcome),
  with or without AI. The unfinished current week is flagged partial.
grain: One row per reporting week in which at least one work item was closed.
kind: business
unit: count
direction: higher_is_better
owner: support-ops@example.com
thresholds: {warn: 0.2, alert: 0.35, mode: vs_trailing_mean}
tests:
  - not_null(value)
  - unique(week_start)
  - range(value, 0, null)
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
    c.items::double as value,
    c.assisted_items::double as assisted_items,
    partial_flag(c.week_start) as flag
from counted as c
