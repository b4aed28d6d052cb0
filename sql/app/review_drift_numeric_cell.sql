-- One row (or none): the drift statistics of numeric feature $feature in week $week.
select *
from metrics.drift_numeric
where feature = $feature
    and week_start = $week
