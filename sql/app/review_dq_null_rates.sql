-- One row per dimension set of dq_null_rate in week $week (per source, and all), highest
-- first.
select
    dimensions,
    value,
    numerator,
    denominator
from main.metric_values
where metric = 'dq_null_rate'
    and week_start = $week
order by value desc
