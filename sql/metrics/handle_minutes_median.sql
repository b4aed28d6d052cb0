/* ---
name: handle_minutes_median
title: Median handle time, with vs without AI
description: >
  Median handle time in minutes of work items closed in the reporting week that have a
  handle time, by whether the item was AI-assisted (ai_assisted true / false; null = all items).
  quantile_cont, i.e. the mean of the two middle values for an even count. Not additive: a
  month's median must be recomputed from items. The unfinished current week is flagged partial.
grain: One row per reporting week, system and ai_assisted value; one total row per week and system (ai_assisted null); one row per week and ai_assisted value over all systems (system null, unassisted items included); and one company total row per week (all null = all items).
kind: business
unit: minutes
direction: lower_is_better
dimensions: [system, ai_assisted]
tests:
  - range(value, 0, null)
tags: [week_local]  # a week's rows read the items closed that week
--- */
with closed_items as (
    select
        closed_week as week_start,
        system,
        {'ai_assisted': ai_assisted} as dims,
        handle_minutes as x
    from staging.work_items
    where closed_at is not null
        and handle_minutes is not null
)

select
    week_start,
    system,
    dims.ai_assisted as ai_assisted,
    value,
    n,
    flag
from weekly_quantile('closed_items', 0.5)
