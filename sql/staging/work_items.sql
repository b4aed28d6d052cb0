/* ---
name: work_items
description: Support work items (newest version per item) with the reporting week they were opened and closed in and the AI system that assisted them (system null when no AI system did).
grain: One row per item_id.
kind: staging
tags: [key_local(item_id)]
--- */
-- Only a row that replaces an earlier load's version of its key (_correction, flagged by
-- ingest) brings the key a second version; every other key has one version, which needs no
-- ranking (at 10M events ranking every row was most of the build; at 100M, ranking every row
-- of each load that corrected any row was half of it). In a load file written before ingest
-- flagged rows, _correction is null: every key of such a load that corrected rows is ranked.
with corrected_keys as (
    select distinct w.item_id
    from raw.work_items as w
    where w._load_id in (select load_id from raw.loads where rows_corrected > 0)
        and coalesce(w._correction, true)
),

versions as (
    select
        w.*,
        row_number() over (
            partition by w.item_id
            order by l.started_at desc, w._load_id desc, w._row_number desc
        ) as version_rank
    from raw.work_items as w
    left join raw.loads as l
        on l.load_id = w._load_id
    where exists (select 1 from corrected_keys as c where c.item_id = w.item_id)
    union all
    select
        w.*,
        1 as version_rank
    from raw.work_items as w
    -- an anti join written as a left join: DuckDB plans NOT EXISTS here as a join that
    -- first makes every row's key distinct (at 100M, 26 s of each 92M-row batch)
    left join corrected_keys as c
        on c.item_id = w.item_id
    where c.item_id is null
)

select
    item_id,
    opened_at,
    closed_at,
    week_of(opened_at) as opened_week,
    week_of(closed_at) as closed_week,
    team,
    customer_id,
    ai_assisted,
    handle_minutes,
    outcome,
    system,
    _load_id as load_id
from versions
where version_rank = 1
