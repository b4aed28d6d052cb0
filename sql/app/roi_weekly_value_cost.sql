-- One row per ledger week up to $end: benefits, costs, net and their running sums from the
-- first ledger week (the cumulative value vs cost chart; the ROI page sums the same rows
-- exactly in Python).
with weekly as (
    select
        week_start,
        sum(amount) filter (where category = 'benefit') as benefits,
        sum(amount) filter (where category = 'cost') as costs
    from main.roi_ledger
    where $end is null or week_start <= $end
    group by week_start
)

select
    week_start,
    coalesce(benefits, 0) as benefits,
    coalesce(costs, 0) as costs,
    coalesce(benefits, 0) - coalesce(costs, 0) as net,
    sum(coalesce(benefits, 0)) over (order by week_start) as cumulative_benefits,
    sum(coalesce(costs, 0)) over (order by week_start) as cumulative_costs,
    sum(coalesce(benefits, 0) - coalesce(costs, 0)) over (order by week_start)
        as cumulative_net
from weekly
order by week_start
