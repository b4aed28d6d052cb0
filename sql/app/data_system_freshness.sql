-- One row per AI system with events: its newest event and the hours from it to the build's
-- as_of (build setting; null when the build recorded none).
with as_of as (
    select try_cast(value as timestamp) as as_of
    from main.build_settings
    where key = 'as_of'
)

select
    system,
    max(occurred_at) as newest_event,
    date_diff('second', max(occurred_at), (select as_of from as_of)) / 3600.0 as hours_behind_build
from staging.ai_events
where system is not null
group by system
order by system
