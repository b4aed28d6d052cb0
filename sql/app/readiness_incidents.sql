-- One row: the incidents attributed to AI system $system up to week $week, how many have a
-- detection and a resolution time, and their mean minutes to detect and to resolve.
select
    count(*) as incidents,
    count(minutes_to_detect) as detected,
    count(minutes_to_resolve) as resolved,
    avg(minutes_to_detect) as mttd_minutes,
    avg(minutes_to_resolve) as mttr_minutes
from staging.incidents
where system = $system
    and week_start <= $week
