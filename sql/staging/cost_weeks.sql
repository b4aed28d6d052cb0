/* ---
name: cost_weeks
description: Each cost line spread over the reporting weeks of its period, pro rata by calendar days, in whole cents. Remainder cents go to the weeks with the largest fractional share (then the earliest), so the weeks of a cost line always add up to its amount exactly. system and allocate_by as in staging.costs (a null system marks a shared cost).
grain: One row per cost_id and reporting week.
kind: staging
--- */
with days as (
    select
        cost_id,
        unnest(generate_series(period_start, period_end, interval 1 day))::date as day
    from staging.costs
),

per_week as (
    select
        cost_id,
        week_of_date(day) as week_start,
        count(*) as days_in_week
    from days
    group by all
),

shares as (
    select
        p.cost_id,
        p.week_start,
        p.days_in_week,
        sum(p.days_in_week) over (partition by p.cost_id) as days_in_period,
        (c.amount * 100)::hugeint as cost_cents,
        c.category,
        c.currency,
        c.vendor,
        c.invoice_ref,
        c.system,
        c.allocate_by,
        c.load_id
    from per_week as p
    inner join staging.costs as c
        on c.cost_id = p.cost_id
),

floored as (
    select
        *,
        cost_cents * days_in_week // days_in_period as base_cents,
        cost_cents * days_in_week % days_in_period as remainder
    from shares
),

ranked as (
    select
        *,
        cost_cents - sum(base_cents) over (partition by cost_id) as leftover_cents,
        row_number() over (partition by cost_id order by remainder desc, week_start) as remainder_rank
    from floored
)

select
    cost_id,
    week_start,
    category,
    currency,
    vendor,
    invoice_ref,
    system,
    allocate_by,
    days_in_week,
    days_in_period,
    ((base_cents + case when remainder_rank <= leftover_cents then 1 else 0 end)::decimal(38, 0)
        * 0.01)::decimal(18, 2) as amount,
    load_id
from ranked
