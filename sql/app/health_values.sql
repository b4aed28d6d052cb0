-- One row per week and row of the metrics named in $metrics that is the all-dimensions total
-- or carries a model_version or segment, those two dimensions unpacked.
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
    and (
        dimensions = '{}'
        or json_extract_string(dimensions, '$.model_version') is not null
        or json_extract_string(dimensions, '$.segment') is not null
    )
order by metric, week_start, model_version nulls first, segment nulls first
