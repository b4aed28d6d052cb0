-- One row per AI system: how many of the events $event_ids (the events given an output-review
-- verdict) are its own.
select
    system,
    count(*) as events
from staging.ai_events
where event_id in (select unnest($event_ids::varchar[]))
group by system
order by system
