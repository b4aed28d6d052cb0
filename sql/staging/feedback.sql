/* ---
name: feedback
description: Human feedback on AI events (newest version per event), with the event's week, system, model version and segment, and how long the label took to arrive.
grain: One row per labelled event_id.
kind: staging
tags: [key_local(event_id)]
--- */
-- Only a row that replaces an earlier load's version of its key (_correction, flagged by
-- ingest) brings the key a second version; every other key has one version, which needs no
-- ranking (at 10M events ranking every row was most of the build; at 100M, ranking every row
-- of each load that corrected any row was half of it). In a load file written before ingest
-- flagged rows, _correction is null: every key of such a load that corrected rows is ranked.
with corrected_keys as (
    select distinct f.event_id
    from raw.feedback as f
    where f._load_id in (select load_id from raw.loads where rows_corrected > 0)
        and coalesce(f._correction, true)
),

versions as (
    select
        f.*,
        row_number() over (
            partition by f.event_id
            order by l.started_at desc, f._load_id desc, f._row_number desc
        ) as version_rank
    from raw.feedback as f
    left join raw.loads as l
        on l.load_id = f._load_id
    where exists (select 1 from corrected_keys as c where c.event_id = f.event_id)
    union all
    select
        f.*,
        1 as version_rank
    from raw.feedback as f
    -- an anti join written as a left join: DuckDB plans NOT EXISTS here as a join that
    -- first makes every row's key distinct (at 100M, 26 s of each 92M-row batch)
    left join corrected_keys as c
        on c.event_id = f.event_id
    where c.event_id is null
)

select
    v.event_id,
    v.labeled_at,
    v.correct,
    v.accepted,
    v.overridden,
    v.reviewer,
    e.occurred_at,
    e.week_start,
    e.system,
    e.model_version,
    e.segment,
    e.action_tier,
    e.confidence,
    date_diff('second', e.occurred_at, v.labeled_at) / 3600.0 as label_delay_hours,
    v._load_id as load_id
from versions as v
inner join staging.ai_events as e
    on e.event_id = v.event_id
where v.version_rank = 1
