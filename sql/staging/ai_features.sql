/* ---
name: ai_features
description: Model input features in long form (newest version per event and feature), with the week, model version and segment of their event. Features of events that were not accepted are left out here and counted by the data-quality metrics.
grain: One row per event_id and feature.
kind: staging
tags: [key_local(event_id), view]
--- */
-- Tagged `view`: kept as a view over this SQL, not materialised. It is the biggest staging
-- relation (a row per event and feature) and only the drift metrics read it in full: at 10M
-- events writing its 120M rows took 35 s of the build, reading this SQL takes about 2 s.
-- Only a load that corrected earlier rows (raw.loads.rows_corrected > 0) brings a key a
-- second version; every other key has one version, which needs no ranking (at 10M events
-- ranking every row was most of the build).
with corrected_keys as (
    select distinct f.event_id, f.feature
    from raw.ai_features as f
    where f._load_id in (select load_id from raw.loads where rows_corrected > 0)
),

versions as (
    select
        f.*,
        row_number() over (
            partition by f.event_id, f.feature
            order by l.started_at desc, f._load_id desc, f._row_number desc
        ) as version_rank
    from raw.ai_features as f
    left join raw.loads as l
        on l.load_id = f._load_id
    where exists (select 1 from corrected_keys as c where c.event_id = f.event_id and c.feature = f.feature)
    union all
    select
        f.*,
        1 as version_rank
    from raw.ai_features as f
    where not exists (select 1 from corrected_keys as c where c.event_id = f.event_id and c.feature = f.feature)
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
