-- One row per metric with values for AI system $system (any week, any dimensions naming
-- it): its title, kind and owner from the metric header (null or blank = no owner named).
with of_system as (
    select distinct metric
    from main.metric_values
    where json_extract_string(dimensions, '$.system') = $system
)

select
    o.metric,
    d.title,
    d.kind,
    nullif(trim(d.owner), '') as owner
from of_system as o
left join main.metric_definitions as d
    on d.name = o.metric
order by o.metric
