/* ---
name: handle_minutes_mean
title: Mean handle time, with vs without AI
description: >
  Mean handle time in minutes of work items closed in the reporting week that have a handle
  time, by whether the item was AI-assisted (null = all items). numerator = total handle
  minutes, denominator = items, so a roll-up is sum(numerator) / sum(denominator). The
  unfinished current week is flagged partial.
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
    numerator,
    denominator,
    flag
from weekly_mean('closed_items')
