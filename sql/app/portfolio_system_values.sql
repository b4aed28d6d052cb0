-- One row per metric of $metrics, AI system and week $week: the system total
-- (dimensions '{"system":"x"}') and the company total (dimensions '{}', system null), with
-- the row's extra columns (e.g. low / high of value_at_risk) as JSON text.
select
    metric,
    json_extract_string(dimensions, '$.system') as system,
    value,
    extras
from main.metric_values
where metric in (select unnest($metrics::varchar[]))
    and week_start = $week
    and (dimensions = '{}' or json_keys(dimensions::json) = ['system'])
order by metric, system nulls first
