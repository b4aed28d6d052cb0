/* ---
name: ai_assisted_share
title: AI-assisted share of work items
description: >
  Share of work items closed in the reporting week that were handled with AI assistance.
  Company row (system null): numerator = closed items with ai_assisted = true, denominator =
  closed items. Per AI system: numerator = closed items the system assisted, denominator =
  closed items of the teams it serves (teams with an item it assisted, in any week); the
  systems' rows do not add up to the company's when teams are served by several systems or
  none. The unfinished current week is flagged partial.
grain: One row per reporting week and system with at least one item of its teams closed, plus one company row per week with an item closed (system null).
kind: business
unit: ratio
direction: higher_is_better
dimensions: [system]
--- */
with closed_items as (
    select
        item_id,
        closed_week as week_start,
        team,
        system,
        ai_assisted
    from staging.work_items
    where closed_at is not null
),

-- the teams a system serves: teams with a work item it assisted (in any week)
system_teams as (
    select distinct
        system,
        team
    from staging.work_items
    where ai_assisted
        and system is not null
),

counted as (
    select
        i.week_start,
        t.system,
        count(*) as items,
        count_if(i.ai_assisted and i.system = t.system) as assisted_items
    from closed_items as i
    inner join system_teams as t
        on t.team = i.team
    group by i.week_start, t.system
    union all
    select
        week_start,
        null::varchar as system,
        count(*) as items,
        count_if(ai_assisted) as assisted_items
    from closed_items
    group by week_start
)

select
    c.week_start,
    c.system,
    c.assisted_items::double / c.items as value,
    c.assisted_items::double as numerator,
    c.items::double as denominator,
    partial_flag(c.week_start) as flag
from counted as c
