-- One row per reporting week, newest first: whether it is partial and how many metric rows
-- of it are flagged provisional.
select
    w.week_start,
    w.is_partial,
    coalesce(p.provisional, 0) as provisional
from staging.weeks as w
left join (
    select
        week_start,
        count(*) as provisional
    from main.metric_values
    where flag = 'provisional'
    group by week_start
) as p
    on p.week_start = w.week_start
order by w.week_start desc
