/* ---
name: value_at_risk
title: Value at risk
description: >
  Money the week's accuracy puts at risk against the system's reference period: reference
  value per AI event x the week's AI events x (reference accuracy - the week's accuracy) /
  reference accuracy, i.e. the business value the week would have earned at the reference
  rate minus the value it earns (estimated) when value scales with accuracy.
  Reference period = the system's calibration window, read from main.calibration
  (reference_from .. reference_to: its first setting('drift.reference_weeks') complete weeks,
  extended until they hold setting('cbpe.min_reference_labels') labelled events), the same
  weeks estimated_accuracy is calibrated on. Reference value = the value of the
  analyst time saved by the system's AI-assisted work items closed in those weeks,
  sum over weeks of (baseline_handle_minutes x items - their handle minutes) / 60 x
  loaded_hourly_cost, both assumptions as assumption_for(key, system, week) picks them (the
  system's version in force, else the company-wide one; low and high of that same
  version); reference value per event = that
  over the system's AI events in those weeks. Reference accuracy = correct / labelled over the
  labelled reference events the calibration was fitted on (positive_rows / fitted_rows). The
  week's accuracy and basis are metrics.estimated_accuracy's filled_accuracy (realised when the
  week's labels are in, else the CBPE estimate) of the system's total row; events are all its
  AI events of the week. A reference value below zero (the assisted items took longer than the
  baseline) counts as zero: nothing earned, nothing at risk (reference_value_per_event shows
  it as it is). value is rounded to cents once, at the end; positive = value lost, negative =
  the week earns more than the reference rate. low / high: the same with both
  assumptions at the low (high) end of their range (an end the register leaves empty counts
  as the value), ordered so that low <= high. Drift is not priced here. The company row
  (system null) sums the systems' rows (value, low and high each). A system without a
  calibration, without AI-assisted items closed in its reference weeks, or with a reference
  week lacking either assumption has no row; flag as estimated_accuracy's (partial,
  estimated).
grain: One row per reporting week and system that has an estimated accuracy and a reference value, plus one company row per such week (system null).
kind: business
unit: usd
direction: lower_is_better
owner: finops@example.com
dimensions: [system]
tests:
  - not_null(value, low, high)
  - unique(week_start, system)
  - accepted_values(flag, ['partial', 'estimated'])
--- */
with reference as (
    select
        system,
        any_value(reference_from) as reference_from,
        any_value(reference_to) as reference_to,
        any_value(positive_rows)::double / any_value(fitted_rows) as reference_accuracy
    from main.calibration
    where x is not null
        and fitted_rows > 0
        and positive_rows > 0
    group by system
),

reference_events as (
    select
        r.system,
        count(*) as reference_events
    from reference as r
    inner join staging.ai_events as e
        on e.system = r.system
        and e.week_start between r.reference_from and r.reference_to
    group by r.system
),

reference_items as (
    select
        r.system,
        w.closed_week as week_start,
        count(*) as items,
        sum(w.handle_minutes::decimal(38, 10)) as handle_minutes
    from reference as r
    inner join staging.work_items as w
        on w.system = r.system
        and w.closed_week between r.reference_from and r.reference_to
    where w.ai_assisted
        and w.closed_at is not null
        and w.handle_minutes is not null
    group by r.system, w.closed_week
),

-- the version of each assumption in force at the week, as assumption_for(key, system, week)
-- picks it: the system's own version in force, else the company-wide one (system null); low
-- and high come from that same version (written as a join: the _low/_high macros' nested
-- subqueries do not run on Spark)
in_force as (
    select
        i.system,
        i.week_start,
        a.key,
        a.value,
        a.low,
        a.high,
        row_number() over (
            partition by i.system, i.week_start, a.key
            order by a.system is null, a.effective_from desc
        ) as version_rank
    from reference_items as i
    inner join staging.assumptions as a
        on (a.system = i.system or a.system is null)
        and a.effective_from <= i.week_start
    where a.key in ('baseline_handle_minutes', 'loaded_hourly_cost')
),

assumptions_at as (
    select
        system,
        week_start,
        max(case when key = 'baseline_handle_minutes' then value end) as baseline,
        max(case when key = 'baseline_handle_minutes' then low end) as baseline_low,
        max(case when key = 'baseline_handle_minutes' then high end) as baseline_high,
        max(case when key = 'loaded_hourly_cost' then value end) as hourly_cost,
        max(case when key = 'loaded_hourly_cost' then low end) as hourly_cost_low,
        max(case when key = 'loaded_hourly_cost' then high end) as hourly_cost_high
    from in_force
    where version_rank = 1
    group by system, week_start
),

reference_value as (
    select
        i.system,
        sum((a.baseline * i.items - i.handle_minutes) * a.hourly_cost) / 60 as reference_value,
        sum(
            (coalesce(a.baseline_low, a.baseline) * i.items - i.handle_minutes)
            * coalesce(a.hourly_cost_low, a.hourly_cost)
        ) / 60 as reference_value_low,
        sum(
            (coalesce(a.baseline_high, a.baseline) * i.items - i.handle_minutes)
            * coalesce(a.hourly_cost_high, a.hourly_cost)
        ) / 60 as reference_value_high
    from reference_items as i
    left join assumptions_at as a
        on a.system = i.system
        and a.week_start = i.week_start
    group by i.system
    having bool_and(a.baseline is not null and a.hourly_cost is not null)
),

weeks as (
    select
        week_start,
        system,
        filled_accuracy as week_accuracy,
        basis,
        events,
        flag
    from metrics.estimated_accuracy
    where system is not null
        and model_version is null
),

-- scale = the week's events over the reference's x the relative accuracy drop
scaled as (
    select
        w.week_start,
        w.system,
        w.week_accuracy,
        w.basis,
        w.events,
        w.flag,
        r.reference_accuracy,
        e.reference_events,
        v.reference_value,
        v.reference_value_low,
        v.reference_value_high,
        v.reference_value / e.reference_events as reference_value_per_event,
        w.events::double / e.reference_events
            * (r.reference_accuracy - w.week_accuracy) / r.reference_accuracy as scale
    from weeks as w
    inner join reference as r
        on r.system = w.system
    inner join reference_events as e
        on e.system = w.system
    inner join reference_value as v
        on v.system = w.system
),

priced as (
    select
        *,
        -- a reference that earned nothing (time lost, not saved) puts nothing at risk
        round(greatest(reference_value, 0) * scale, 2)::decimal(18, 2) as amount,
        round(greatest(reference_value_low, 0) * scale, 2)::decimal(18, 2) as amount_at_low,
        round(greatest(reference_value_high, 0) * scale, 2)::decimal(18, 2) as amount_at_high
    from scaled
),

totals as (
    select
        week_start,
        system,
        sum(amount) as amount,
        sum(least(amount_at_low, amount_at_high)) as amount_low,
        sum(greatest(amount_at_low, amount_at_high)) as amount_high,
        any_value(week_accuracy) as week_accuracy,
        any_value(basis) as basis,
        sum(events) as events,
        any_value(reference_accuracy) as reference_accuracy,
        any_value(reference_events) as reference_events,
        any_value(reference_value_per_event) as reference_value_per_event,
        any_value(flag) as flag,
        count(flag) as flagged
    from priced
    group by grouping sets ((week_start, system), (week_start))
)

select
    t.week_start,
    t.system,
    t.amount as value,
    t.amount_low as low,
    t.amount_high as high,
    case when t.system is not null then t.week_accuracy end as week_accuracy,
    case when t.system is not null then t.basis end as basis,
    case when t.system is not null then t.reference_accuracy end as reference_accuracy,
    case when t.system is not null then t.reference_events end as reference_events,
    case
        when t.system is not null then t.reference_value_per_event
    end as reference_value_per_event,
    t.events,
    case
        when w.is_partial then 'partial'
        when t.system is not null then t.flag
        when t.flagged > 0 then 'estimated'
    end as flag
from totals as t
left join staging.weeks as w
    on w.week_start = t.week_start
