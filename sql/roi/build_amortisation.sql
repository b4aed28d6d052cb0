/* ---
name: build_amortisation
title: Build cost amortisation
description: >
  The build cost written off straight-line: the monthly amount (build_cost /
  build_amortisation_months) x 12 / 52 in every reporting week, from the week of the first AI
  event (week 1 of staging.weeks, go-live) for build_amortisation_months x 52 / 12 weeks (24
  months: 104 weeks, which add up to build_cost; when that is not a whole number of weeks the
  last, part week is charged in full). Both assumptions are the versions in force at the week
  (greatest effective_from <= week_start). The build cost lines of the costs table (category
  build) are the evidence for build_cost and are not a ledger line, so the build is not counted
  twice. amount is the exact quotient rounded half up to 10 decimal places.
grain: One row per reporting week inside the amortisation period with both assumptions in force.
category: cost
formula: build_cost / build_amortisation_months * 12 / 52
inputs:
  build_cost: {assumption: build_cost}
  build_amortisation_months: {assumption: build_amortisation_months}
owner: finops@example.com
tests:
  - not_null(amount)
  - unique(week_start)
--- */
with calendar as (
    select
        week_start,
        week_number
    from staging.weeks
),

terms as (
    select
        week_start,
        week_number,
        assumption_at('build_cost', week_start) as build_cost,
        assumption_at('build_amortisation_months', week_start) as build_amortisation_months
    from calendar
),

in_period as (
    select
        week_start,
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
    build_cost,
    build_amortisation_months,
    -- DuckDB divides DECIMALs in DOUBLE: this is build_cost / months * 12 / 52 exactly, rounded
    -- half up to 10 places, in integer arithmetic (units of 1e-10).
    ((2 * cost_micros * 12 * 10000000000 + months_micros * 52) // (2 * months_micros * 52))
        ::decimal(38, 0) * 0.0000000001 as amount,
    amount::double as value
from in_period
