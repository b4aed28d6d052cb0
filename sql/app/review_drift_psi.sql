-- One row per feature and week from $start to $week: its PSI, rows this week and flag.
select
    week_start,
    feature,
    feature_type,
    value as psi,
    n_current,
    coalesce(flag, '') as flag
from metrics.drift_psi
where week_start between $start and $week
order by feature, week_start
