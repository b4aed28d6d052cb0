-- One row per AI event of week $week, the first 20 by event id.
select
    event_id,
    occurred_at,
    model_version,
    segment,
    tokens_in,
    tokens_out,
    cost_usd
from staging.ai_events
where week_start = $week
order by event_id
limit 20
