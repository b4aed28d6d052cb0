-- One row per event of $event_ids that has a label: whether its output was correct (the demo
-- judges a sampled output as its label says).
select
    event_id,
    correct
from staging.feedback
where event_id in (select unnest($event_ids::varchar[]))
    and correct is not null
order by event_id
