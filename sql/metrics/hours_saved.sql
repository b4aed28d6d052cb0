/* ---
name: hours_saved
title: Analyst hours saved
description: >
  Hours saved by AI assistance in the reporting week: for every AI-assisted work item closed
  that week with a handle time, (baseline handle minutes - actual handle minutes), summed and
  divided by 60. An item slower than the baseline counts negative. Per AI system (the
  work item's system); the company row (system null) is the sum of the systems' rows plus
  assisted items without a system (sources from before systems), each at its own baseline,
  so the systems' values add up exactly to the company's when every assisted item has one.
  Baseline source: the assumptions register, key baseline_handle_minutes, the version in
  force at the week (greatest effective_from <= week_start): the system's own version, else
  the company-wide one (assumption_for); a system's weeks before any baseline version have
  no row and count nowhere (no baseline, no claim). baseline_minutes is the system's
  baseline; on the company row, the assisted-items-weighted mean of the baselines used;
  baseline_item_minutes = sum of baseline x assisted items, exactly (DECIMAL). The unfinished
  current week is flagged partial.
  Handle minutes are summed as DECIMAL(38,10) (each DOUBLE rounded to 10 places first): a
  DOUBLE sum depends on the order parallel threads add in, and actual_minutes feeds the ROI
  ledger, which must be the same byte for byte on every build of the same inputs.
grain: One row per reporting week and system with at least one AI-assisted item closed and a baseline in force, plus one company row per such week (system null).
kind: business
unit: hours
direction: higher_is_better
dimensions: [system]
thresholds: {warn: 0.25, alert: 0.5, mode: vs_trailing_mean}
--- */
with assisted_items as (
    select
        item_id,
        closed_week as week_start,
        system,
        handle_minutes
    from staging.work_items
    where ai_assisted
        and closed_at is not null
        and handle_minutes is not null
),

-- per week and system (null: assisted items without a system), with the baseline in force
per_system as (
    select
        week_start,
        system,
        count(*) as assisted_items,
        sum(handle_minutes::decimal(38, 10)) as actual_minutes
    from assisted_items
    group by week_start, system
),

with_baseline as (
    select
        week_start,
        system,
        assisted_items,
        actual_minutes,
        assumption_for('baseline_handle_minutes', system, week_start)::decimal(38, 10)
            as baseline_minutes
    from per_system
),

claimed as (
    select
        week_start,
        system,
        assisted_items,
        actual_minutes,
        baseline_minutes * assisted_items as baseline_item_minutes
    from with_baseline
    where baseline_minutes is not null
),

aggregated as (
    select
        week_start,
        system,
        sum(assisted_items) as assisted_items,
        sum(actual_minutes) as actual_minutes,
        sum(baseline_item_minutes) as baseline_item_minutes
    from claimed
    group by grouping sets ((week_start, system), (week_start))
    having grouping(system) = 1 or system is not null
)

select
    a.week_start,
    a.system,
    (a.baseline_item_minutes - a.actual_minutes)::double / 60.0 as value,
    a.baseline_item_minutes::double / a.assisted_items as baseline_minutes,
    a.assisted_items::double as assisted_items,
    a.actual_minutes,
    a.baseline_item_minutes,
    partial_flag(a.week_start) as flag
from aggregated as a
