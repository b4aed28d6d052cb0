-- One row per week and dimension set of metric $metric up to $until (null: every week).
select
    week_start,
    dimensions,
    value,
    flag
from main.metric_values
where metric = $metric
    and ($until is null or week_start <= $until)
order by week_start
