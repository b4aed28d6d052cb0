/* ---
name: build_amortisation
title: Build cost amortisation
description: >
  An AI system's build cost written off straight-line: the monthly amount (build_cost /
  build_amortisation_months) x 12 / 52 in every reporting week, from the week of the system's
  first AI event (its go-live, week 1 of staging.system_weeks) for build_amortisation_months x 52 / 12 weeks (24
  months: 104 weeks, which add up to build_cost; when that is not a whole number of weeks the
  last, part week is charged in full). Both assumptions are the versions in force at the week
  for the system (its own version, else the company-wide one: macro assumption_for), so
  build_cost is what building one system cost: a company-wide build_cost is charged to every
  system without its own. The build cost lines of the costs table (category
  build) are the evidence for build_cost and are not a ledger line, so the build is not counted
  twice. amount is the exact quotient rounded half up to 10 decimal places.
grain: One row per reporting week and AI system inside its amortisation period with both assumptions in force.
category: cost
formula: build_cost / build_amortisation_months * 12 / 52
inputs:
  build_cost: {assumption: build_cost}
  build_amortisation_months: {assumption: build_amortisation_months}
--- */
with calendar as (
    select
        week_start,
        system,
        week_number
    from staging.system_weeks
),

terms as (
    select
        week_start,
        system,
        week_number,
        -- arguments qualified: the Spark build inlines the macro, where a bare system would
        -- bind to the assumptions' own column
        assumption_for('build_cost', c.system, c.week_start) as build_cost,
        assumption_for('build_amortisation_months', c.system, c.week_start)
            as build_amortisation_months
    from calendar as c
),

in_period as (
    select
        week_start,
        system,
        build_cost,
        build_amortisation_months,
        (build_cost * 1000000)::hugeint as cost_micros,
        (build_amortisation_months * 1000000)::hugeint as months_micros
    from terms
    where build_cost is not null
        and build_amortisation_months > 0
        and (week_number - 1) * 12 < build_amortisation_months * 52
)

select
    week_start,
    system,
    build_cost,
    build_amortisation_months,
    -- DuckDB divides DECIMALs in DOUBLE: this is build_cost / months * 12 / 52 exactly, rounded
    -- half up to 10 places, in integer arithmetic (units of 1e-10).
    ((2 * cost_micros * 12 * 10000000000 + months_micros * 52) // (2 * months_micros * 52))
        ::decimal(38, 0) * 0.0000000001 as amount,
    amount::double as value
from in_period
