-- One row (or none): the first ledger week whose cumulative net value is zero or more.
select week_start,
       sum(case when category = 'benefit' then amount else -amount end) as net,
       sum(sum(case when category = 'benefit' then amount else -amount end))
           over (order by week_start) as cumulative_net
from main.roi_ledger
group by week_start
qualify cumulative_net >= 0
order by week_start
limit 1
