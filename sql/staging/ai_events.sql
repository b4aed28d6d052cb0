/* ---
name: ai_events
description: AI events, the newest loaded version of each event_id, with its local time and reporting week.
grain: One row per event_id.
kind: staging
tags: [key_local(event_id)]
--- */
-- Only a row that replaces an earlier load's version of its key (_correction, flagged by
-- ingest) brings the key a second version; every other key has one version, which needs no
-- ranking (at 10M events ranking every row was most of the build; at 100M, ranking every row
-- of each load that corrected any row was half of it). In a load file written before ingest
-- flagged rows, _correction is null: every key of such a load that corrected rows is ranked.
with corrected_keys as (
    select distinct e.event_id
    from raw.ai_events as e
    where e._load_id in (select load_id from raw.loads where rows_corrected > 0)
        and coalesce(e._correction, true)
),

versions as (
    select
        e.*,
        row_number() over (
            partition by e.event_id
            order by l.started_at desc, e._load_id desc, e._row_number desc
        ) as version_rank
    from raw.ai_events as e
    left join raw.loads as l
        on l.load_id = e._load_id
    where exists (select 1 from corrected_keys as c where c.event_id = e.event_id)
    union all
    select
        e.*,
        1 as version_rank
    from raw.ai_events as e
    -- an anti join written as a left join: DuckDB plans NOT EXISTS here as a join that
    -- first makes every row's key distinct (at 100M, 26 s of each 92M-row batch)
    left join corrected_keys as c
        on c.event_id = e.event_id
    where c.event_id is null
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
