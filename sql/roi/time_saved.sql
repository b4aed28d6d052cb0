/* ---
name: time_saved
title: Analyst time saved
description: >
  Value of the analyst time saved by an AI system's assistance in the reporting week: the hours saved,
  (baseline handle minutes x the items it assisted closed - their actual handle minutes) / 60, x the
  loaded hourly cost. The same hours as metrics.hours_saved's row of the system (whose assisted_items and
  actual_minutes this line reads; actual minutes stated as DECIMAL(38,10)), with the baseline
  written out as an input so that its version, owner and low / high range show in the ledger
  and in the sensitivity. baseline_handle_minutes and loaded_hourly_cost are the assumptions in
  force at the week for the system (its own version, else the company-wide one: macro
  assumption_for). Weeks without assisted items
  closed or without both assumptions have no row; a week slower than the baseline is negative.
  amount is the exact value rounded half away from zero to 10 decimal places.
grain: One row per reporting week and AI system with items it assisted closed and both assumptions in force.
category: benefit
formula: (baseline_handle_minutes * assisted_items - handle_minutes) / 60 * loaded_hourly_cost
inputs:
  baseline_handle_minutes: {assumption: baseline_handle_minutes}
  assisted_items: {metric: hours_saved.assisted_items, unit: items}
  handle_minutes: {metric: hours_saved.actual_minutes, unit: minutes}
  loaded_hourly_cost: {assumption: loaded_hourly_cost}
--- */
with measured as (
    select
        week_start,
        system,
        assisted_items::decimal(38, 0) as assisted_items,
        actual_minutes::decimal(38, 10) as handle_minutes,
        -- arguments qualified: the Spark build inlines the macro, where a bare system would
        -- bind to the assumptions' own column
        assumption_for('baseline_handle_minutes', h.system, h.week_start)
            as baseline_handle_minutes,
        assumption_for('loaded_hourly_cost', h.system, h.week_start) as loaded_hourly_cost
    from metrics.hours_saved as h
    where system is not null
),

inputs as (
    select
        m.week_start,
        m.system,
        m.baseline_handle_minutes,
        m.assisted_items,
        m.handle_minutes,
        m.loaded_hourly_cost,
        -- DuckDB divides DECIMALs in DOUBLE, so the division by 60 is done on integers: the
        -- minutes in units of 1e-10, the hourly cost in units of 1e-6 (product: 1e-16 USD x 60)
        ((m.baseline_handle_minutes * 1000000)::hugeint * 10000 * m.assisted_items::hugeint
            - (m.handle_minutes * 10000000000)::hugeint)
            * (m.loaded_hourly_cost * 1000000)::hugeint as value_x60_e16
    from measured as m
    where m.baseline_handle_minutes is not null
        and m.loaded_hourly_cost is not null
)

select
    week_start,
    system,
    baseline_handle_minutes,
    assisted_items,
    handle_minutes,
    loaded_hourly_cost,
    -- value_x60_e16 is 60 x the amount in units of 1e-16 USD: / 60 / 1e6, rounded half away from zero
    (sign(value_x60_e16) * ((2 * abs(value_x60_e16) + 60000000) // 120000000))::decimal(38, 0)
        * 0.0000000001 as amount,
    amount::double as value
from inputs
