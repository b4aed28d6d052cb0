-- One row per metric value (every dimension set) in the weeks from $start to $week: the
-- scorecard's value, change and sparkline.
select
    metric,
    week_start,
    dimensions,
    value,
    flag
from main.metric_values
where week_start between $start and $week
