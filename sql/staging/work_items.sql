/* ---
name: work_items
description: Support work items (newest version per item) with the reporting week they were opened and closed in.
grain: One row per item_id.
kind: staging
--- */
with versions as (
    select
        w.*,
        row_number() over (
            partition by w.item_id
            order by l.started_at desc, w._load_id desc, w._row_number desc
        ) as version_rank
    from raw.work_items as w
    left join raw.loads as l
        on l.load_id = w._load_id
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
    _load_id as load_id
from versions
where version_rank = 1
