/* ---
name: ai_events
description: AI events, the newest loaded version of each event_id, with its local time and reporting week.
grain: One row per event_id.
kind: staging
--- */
with versions as (
    select
        e.*,
        row_number() over (
            partition by e.event_id
            order by l.started_at desc, e._load_id desc, e._row_number desc
        ) as version_rank
    from raw.ai_events as e
    left join raw.loads as l
        on l.load_id = e._load_id
)

select
    event_id,
    occurred_at,
    local_ts(occurred_at) as occurred_local,
    week_of(occurred_at) as week_start,
    system,
    model_version,
    segment,
    action_tier,
    prediction,
    confidence,
    latency_ms,
    tokens_in,
    tokens_out,
    cost_usd,
    user_id,
    work_item_id,
    customer_id,
    _load_id as load_id
from versions
where version_rank = 1
