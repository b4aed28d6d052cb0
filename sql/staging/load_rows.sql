/* ---
name: load_rows
description: The accepted rows each load brought to the four large source tables (ai_events, ai_features, feedback, work_items), and how many of them have a null in a column the table's contract requires (ingest quarantines such rows, so a non-zero count means rows accepted before the column was required). Counted once per load, so a build after a new load counts only that load's rows; the data-quality metrics read it through dq_rows_in().
grain: One row per source table and load that brought accepted rows.
kind: staging
tags: [key_local(_load_id)]
--- */
-- The required columns are the contracts' (outcomes/core/contracts.py; a test checks that they
-- match). A load's rows never change: its file is written once.
select
    'ai_events' as source,
    _load_id,
    count(*) as rows_accepted,
    count_if(
        event_id is null or occurred_at is null or system is null or model_version is null
        or segment is null or action_tier is null or prediction is null or confidence is null
        or latency_ms is null or tokens_in is null or tokens_out is null or cost_usd is null
        or user_id is null or customer_id is null
    ) as null_rows
from raw.ai_events
group by _load_id
union all
select
    'ai_features' as source,
    _load_id,
    count(*) as rows_accepted,
    count_if(event_id is null or feature is null) as null_rows
from raw.ai_features
group by _load_id
union all
select
    'feedback' as source,
    _load_id,
    count(*) as rows_accepted,
    count_if(
        event_id is null or labeled_at is null or accepted is null or overridden is null
    ) as null_rows
from raw.feedback
group by _load_id
union all
select
    'work_items' as source,
    _load_id,
    count(*) as rows_accepted,
    count_if(
        item_id is null or opened_at is null or team is null or customer_id is null
        or ai_assisted is null
    ) as null_rows
from raw.work_items
group by _load_id
