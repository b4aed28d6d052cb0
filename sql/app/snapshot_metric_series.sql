-- One row per week of metric $metric for the dimension set $dimensions ('{}' = all): value,
-- numerator, denominator and flag, oldest first.
select
    week_start,
    value,
    numerator,
    denominator,
    flag
from main.metric_values
where metric = $metric
    and dimensions = $dimensions
order by week_start
