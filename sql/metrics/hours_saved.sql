/* ---
name: hours_saved
title: Analyst hours saved
description: >
  Hours saved by AI assistance in the reporting week: for every AI-assisted work item closed
  that week with a handle time, (baseline handle minutes - actual handle minutes), summed and
  divided by 60. An item slower than the baseline counts negative. Baseline source: the
  assumptions register, key baseline_handle_minutes, the version effective at the week (the
  row with the greatest effective_from <= week_start); weeks before any baseline version have
  no row (no baseline, no claim). The unfinished current week is flagged partial.
  Handle minutes are summed as DECIMAL(38,10) (each DOUBLE rounded to 10 places first): a
  DOUBLE sum depends on the order parallel threads add in, and actual_minutes feeds the ROI
  ledger, which must be the same byte for byte on every build of the same inputs.
grain: One row per reporting week with at least one AI-assisted item closed and a baseline in force.
kind: business
unit: hours
direction: higher_is_better
owner: support-ops@example.com
thresholds: {warn: 0.25, alert: 0.5, mode: vs_trailing_mean}
tests:
  - not_null(value)
  - unique(week_start)
--- */
with assisted_items as (
    select
        item_id,
        closed_week as week_start,
        handle_minutes
    from staging.work_items
    where ai_assisted
        and closed_at is not null
        and handle_minutes is not null
),

item_weeks as (
    select distinct week_start
    from assisted_items
),

baselines as (
    select
        iw.week_start,
        arg_max(a.value, a.effective_from)::decimal(38, 10) as baseline_minutes
    from item_weeks as iw
    inner join staging.assumptions as a
        on a.key = 'baseline_handle_minutes'
        and a.effective_from <= iw.week_start
    group by iw.week_start
),

aggregated as (
    select
        i.week_start,
        b.baseline_minutes,
        count(*) as assisted_items,
        sum(i.handle_minutes::decimal(38, 10)) as actual_minutes
    from assisted_items as i
    inner join baselines as b
        on b.week_start = i.week_start
    group by i.week_start, b.baseline_minutes
)

select
    a.week_start,
    (a.baseline_minutes * a.assisted_items - a.actual_minutes)::double / 60.0 as value,
    a.baseline_minutes::double as baseline_minutes,
    a.assisted_items::double as assisted_items,
    a.actual_minutes,
    case when w.is_partial then 'partial' end as flag
from aggregated as a
left join staging.weeks as w
    on w.week_start = a.week_start
