-- One row per metric: its newest week up to $week (sparse metrics skip weeks) and that week's
-- all-dimensions value and flag (null when the metric has no total row).
with latest as (
    select
        metric,
        max(week_start) as week_start
    from main.metric_values
    where week_start <= $week
    group by metric
)

select
    l.metric,
    l.week_start,
    max(v.value) filter (where v.dimensions = '{}') as value,
    max(v.flag) filter (where v.dimensions = '{}') as flag
from latest as l
inner join main.metric_values as v
    on v.metric = l.metric
    and v.week_start = l.week_start
group by l.metric, l.week_start
