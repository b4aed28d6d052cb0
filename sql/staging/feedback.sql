/* ---
name: feedback
description: Human feedback on AI events (newest version per event), with the event's week, model version and segment, and how long the label took to arrive.
grain: One row per labelled event_id.
kind: staging
--- */
with versions as (
    select
        f.*,
        row_number() over (
            partition by f.event_id
            order by l.started_at desc, f._load_id desc, f._row_number desc
        ) as version_rank
    from raw.feedback as f
    left join raw.loads as l
        on l.load_id = f._load_id
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
