/* ---
name: costs
description: Cost lines from invoices and internal charges (newest version per cost_id). system is the AI system the cost belongs to, null for a shared cost; allocate_by is the driver that splits a shared cost over the systems (events, hours_saved or equal; null in the source means events), null for a system's own cost.
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
    system,
    case when system is null then coalesce(allocate_by, 'events') end as allocate_by,
    _load_id as load_id
from newest_versions('loaded')
