/* ---
name: costs
description: Cost lines from invoices and internal charges (newest version per cost_id).
grain: One row per cost_id.
kind: staging
--- */
with versions as (
    select
        c.*,
        row_number() over (
            partition by c.cost_id
            order by l.started_at desc, c._load_id desc, c._row_number desc
        ) as version_rank
    from raw.costs as c
    left join raw.loads as l
        on l.load_id = c._load_id
)

select
    cost_id,
    period_start,
    period_end,
    category,
    amount,
    currency,
    vendor,
    invoice_ref,
    _load_id as load_id
from versions
where version_rank = 1
