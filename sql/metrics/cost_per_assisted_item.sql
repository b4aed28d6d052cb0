/* ---
name: cost_per_assisted_item
title: Inference cost per AI-assisted work item
description: >
  Inference spend of the reporting week (sum of cost_usd of the week's AI events) divided by
  the AI-assisted work items closed in that week: numerator = cost in USD, denominator =
  AI-assisted items closed. Weeks with no AI-assisted item closed have no row. The
  unfinished current week is flagged partial.
grain: One row per reporting week with AI events and at least one AI-assisted item closed.
kind: cost
unit: usd
direction: lower_is_better
owner: finops@example.com
thresholds: {warn: 0.25, alert: 0.5, mode: change_pct}
tests:
  - not_null(value)
  - unique(week_start)
  - range(value, 0, null)
--- */
with weekly_cost as (
    select
        week_start,
        sum(cost_usd) as cost_usd
    from staging.ai_events
    group by week_start
),

assisted_items as (
    select
        closed_week as week_start,
        count(*) as items
    from staging.work_items
    where ai_assisted
        and closed_at is not null
    group by closed_week
)

select
    c.week_start,
    c.cost_usd::double / i.items as value,
    c.cost_usd::double as numerator,
    i.items::double as denominator,
    partial_flag(c.week_start) as flag
from weekly_cost as c
inner join assisted_items as i
    on i.week_start = c.week_start
