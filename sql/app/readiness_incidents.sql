-- One row: the incidents attributed to AI system $system up to week $week, how many have a
-- detection time, how many are resolved (the others are open), and the mean minutes to detect
-- (over the detected) and to resolve (over the resolved).
select
    count(*) as incidents,
    count(minutes_to_detect) as detected,
    count(resolved_at) as resolved,
    avg(minutes_to_detect) as mttd_minutes,
    avg(minutes_to_resolve) filter (where resolved_at is not null) as mttr_minutes
from staging.incidents
where system = $system
    and week_start <= $week
