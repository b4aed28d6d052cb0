-- One row per model version in staging.ai_events: the first week it was seen.
select
    min(week_start) as week_start,
    model_version
from staging.ai_events
where model_version is not null
group by model_version
order by 1, 2
