-- One row per dimension set of dq_freshness_hours in week $week (one per source, and the
-- stalest over all), stalest first.
select
    dimensions,
    value,
    extras
from main.metric_values
where metric = 'dq_freshness_hours'
    and week_start = $week
order by value desc
