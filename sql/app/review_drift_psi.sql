-- One row per feature (and AI system, when the drift metrics are per system) and week from
-- $start to $week: its PSI, rows this week and flag, with every other column of the metric.
select
    *,
    value as psi,
    coalesce(flag, '') as flag_text
from metrics.drift_psi
where week_start between $start and $week
order by feature, week_start
