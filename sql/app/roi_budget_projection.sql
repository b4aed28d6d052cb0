-- One row (or none) for week $week and AI system $system (null: the company): the projected
-- monthly inference cost and its budget ratio as the metrics projected_inference_cost and
-- projected_budget_ratio computed them, with the week's measured cost and events and whether
-- the register has a headroom (the system's own or the company-wide one).
with measured as (
    select
        sum(cost_usd)::varchar as inference_cost,
        count(*) as events
    from staging.ai_events
    where week_start = $week
        and ($system is null or system = $system)
),

register as (
    select count(*) > 0 as has_headroom
    from staging.assumptions
    where key = 'headroom'
        and effective_from <= $week
        and (system is null or system = $system)
)

select
    p.week_start,
    m.inference_cost,
    m.events,
    p.cost_per_inference,
    p.volume as projected_monthly_volume,
    p.headroom,
    p.value as projected_monthly_cost,
    p.budget as monthly_budget,
    r.value as budget_ratio,
    not g.has_headroom as headroom_assumed
from metrics.projected_inference_cost as p
left join metrics.projected_budget_ratio as r
    on r.week_start = p.week_start
    and r.system is not distinct from $system
cross join measured as m
cross join register as g
where p.week_start = $week
    and p.system is not distinct from $system
