/* ---
name: ai_features
description: Model input features in long form (newest version per event and feature), with the reporting week and AI system of their event (join staging.ai_events on event_id for the event's other columns). Features of events that were not accepted are left out here and counted by the data-quality metrics.
grain: One row per event_id and feature.
kind: staging
tags: [key_local(event_id)]
--- */
-- The biggest staging relation (a row per event and feature): only the columns the drift
-- metrics, the weekly review and lineage need are stored (at 10M events each string column of
-- its 120M rows costs about 5 s of the build). It stays materialised rather than tagged
-- `view`: as a view, every read joins 10M events, more than the workbench preview's memory
-- limit allows (docs/DECISIONS.md 24).
-- Only a row that replaces an earlier load's version of its key (_correction, flagged by
-- ingest) brings the key a second version; every other key has one version, which needs no
-- ranking (at 10M events ranking every row was most of the build; at 100M, ranking every row
-- of each load that corrected any row was half of it). In a load file written before ingest
-- flagged rows, _correction is null: every key of such a load that corrected rows is ranked.
with corrected_keys as (
    select distinct f.event_id, f.feature
    from raw.ai_features as f
    where f._load_id in (select load_id from raw.loads where rows_corrected > 0)
        and coalesce(f._correction, true)
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
    -- an anti join written as a left join: DuckDB plans NOT EXISTS here as a join that
    -- first makes every row's key distinct (at 100M, 26 s of each 92M-row batch)
    left join corrected_keys as c
        on c.event_id = f.event_id
        and c.feature = f.feature
    where c.event_id is null
)

select
    v.event_id,
    v.feature,
    v.value_num,
    v.value_cat,
    e.week_start,
    e.system,
    v._load_id as load_id
from versions as v
inner join staging.ai_events as e
    on e.event_id = v.event_id
where v.version_rank = 1
