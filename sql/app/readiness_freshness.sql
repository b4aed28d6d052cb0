-- One row: the newest event of AI system $system and the hours from it to the build's as_of
-- (build setting; null when the build recorded none).
with as_of as (
    select try_cast(value as timestamp) as as_of
    from main.build_settings
    where key = 'as_of'
)

select
    max(e.occurred_at) as newest_event,
    date_diff('second', max(e.occurred_at), (select as_of from as_of)) / 3600.0 as age_hours
from staging.ai_events as e
where e.system = $system
