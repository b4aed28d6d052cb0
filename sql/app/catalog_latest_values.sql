-- One row per metric: its newest week up to $week (sparse metrics skip weeks) that has a row of
-- AI system $system (null = any row) and that week's total value and flag for the dimension set
-- $total ('{}' = the company, '{"system":"x"}' = system x's total; null when there is none).
with latest as (
    select
        metric,
        max(week_start) as week_start
    from main.metric_values
    where week_start <= $week
        and ($system is null or json_extract_string(dimensions, '$.system') = $system)
    group by metric
)

select
    l.metric,
    l.week_start,
    max(v.value) filter (where v.dimensions = $total) as value,
    max(v.flag) filter (where v.dimensions = $total) as flag
from latest as l
inner join main.metric_values as v
    on v.metric = l.metric
    and v.week_start = l.week_start
group by l.metric, l.week_start
