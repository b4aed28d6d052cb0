-- One row per metric of the build: its build status and error, and the value and flag of the
-- newest complete week for the dimension set $dimensions ('{}' = the company total,
-- '{"system":"x"}' = an AI system's total; null when it has none).
with complete as (
    select max(week_start) as week_start
    from staging.weeks
    where not is_partial
)

select
    o.name as metric,
    o.status as build_status,
    o.error,
    v.week_start,
    v.value,
    v.flag
from main.build_objects as o
left join main.metric_values as v
    on v.metric = o.name
    and v.dimensions = $dimensions
    and v.week_start = (select week_start from complete)
where o.kind = 'metric'
order by o.name
