/* ---
name: costs
description: Cost lines from invoices and internal charges (newest version per cost_id).
grain: One row per cost_id.
kind: staging
--- */
with loaded as (
    select
        *,
        cost_id as version_key
    from raw.costs
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
from newest_versions('loaded')
