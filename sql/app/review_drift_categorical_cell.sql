-- One row (or none): the drift statistics of categorical feature $feature in week $week.
select *
from metrics.drift_categorical
where feature = $feature
    and week_start = $week
