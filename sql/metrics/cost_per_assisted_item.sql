/* ---
name: cost_per_assisted_item
title: Inference cost per AI-assisted work item
description: >
  Inference spend of the reporting week (metrics.inference_cost, all model versions) divided by
  the AI-assisted work items closed in that week: numerator = cost in USD, denominator =
  AI-assisted items closed. Per AI system: its events' cost over the items it assisted;
  company row (system null): all events' cost over all AI-assisted items (those without a
  system included). Numerators and denominators of the systems add up to the company's
  when every assisted item has a system. Weeks with no AI-assisted item closed have no row.
  The unfinished current week is flagged partial.
grain: One row per reporting week and system with AI events and at least one item it assisted closed, plus one company row per such week (system null).
kind: cost
unit: usd
direction: lower_is_better
dimensions: [system]
thresholds: {warn: 0.25, alert: 0.5, mode: change_pct}
tests:
  - range(value, 0, null)
tags: [week_local]  # a week's rows read the items closed that week
--- */
with assisted_items as (
    select
        closed_week as week_start,
        system,
        count(*) as items
    from staging.work_items
    where ai_assisted
        and closed_at is not null
    group by grouping sets ((closed_week, system), (closed_week))
    having grouping(system) = 1 or system is not null
)

select
    c.week_start,
    c.system,
    c.value / i.items as value,
    c.value as numerator,
    i.items::double as denominator,
    c.flag
from metrics.inference_cost as c
inner join assisted_items as i
    on i.week_start = c.week_start
    and i.system is not distinct from c.system
where c.model_version is null
