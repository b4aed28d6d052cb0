-- One row per week and row of the metrics named in $metrics of AI system $system (null = the
-- company: rows without a system) that is its total ($total: '{}' or '{"system":"x"}') or
-- carries a model_version or segment, those two dimensions unpacked.
select
    metric,
    week_start,
    json_extract_string(dimensions, '$.model_version') as model_version,
    json_extract_string(dimensions, '$.segment') as segment,
    value,
    numerator,
    denominator,
    flag
from main.metric_values
where list_contains($metrics, metric)
    and json_extract_string(dimensions, '$.system') is not distinct from $system
    and (
        dimensions = $total
        or json_extract_string(dimensions, '$.model_version') is not null
        or json_extract_string(dimensions, '$.segment') is not null
    )
order by metric, week_start, model_version nulls first, segment nulls first
