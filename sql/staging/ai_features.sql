/* ---
name: ai_features
description: Model input features in long form (newest version per event and feature), with the week, model version and segment of their event. Features of events that were not accepted are left out here and counted by the data-quality metrics.
grain: One row per event_id and feature.
kind: staging
--- */
with versions as (
    select
        f.*,
        row_number() over (
            partition by f.event_id, f.feature
            order by l.started_at desc, f._load_id desc, f._row_number desc
        ) as version_rank
    from raw.ai_features as f
    left join raw.loads as l
        on l.load_id = f._load_id
)

select
    v.event_id,
    v.feature,
    v.value_num,
    v.value_cat,
    e.week_start,
    e.model_version,
    e.segment,
    v._load_id as load_id
from versions as v
inner join staging.ai_events as e
    on e.event_id = v.event_id
where v.version_rank = 1
