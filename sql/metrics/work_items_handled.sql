/* ---
name: work_items_handled
title: Work items handled
description: >
  Number of work items closed in the reporting week (closed_at not null, any outcome), with or
  without AI: the company's (system null), and per AI system those of the teams it serves
  (teams with an item it assisted, in any week; a team served by two systems counts in
  both). Extra column assisted_items: of them, those AI-assisted (company) or assisted by the
  system (per system). The unfinished current week is flagged partial.
grain: One row per reporting week and system with at least one item of its teams closed, plus one company row per week with an item closed (system null).
kind: business
unit: count
direction: higher_is_better
owner: support-ops@example.com
dimensions: [system]
thresholds: {warn: 0.2, alert: 0.35, mode: vs_trailing_mean}
tests:
  - not_null(value)
  - unique(week_start, system)
  - range(value, 0, null)
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
    c.items::double as value,
    c.assisted_items::double as assisted_items,
    partial_flag(c.week_start) as flag
from counted as c
