"""Macros of the data-quality metrics: the rows that came in, per load week and source.

These are load-level counts (a file, a load, its rejected rows): not per AI system. A
quarantined row's system is one of the values that failed validation or sits beside them,
so it cannot be trusted to attribute the row; the per-system data quality is in
dq_freshness_hours, dq_late_labels and dq_volume_vs_trailing, which read accepted rows.
"""

from __future__ import annotations

from outcomes.core.macros.definition import Macro

# every raw table the rows-in count reads (through raw_schema)
_RAW = (
    "ai_events", "ai_features", "feedback", "work_items", "users", "costs", "incidents",
    "assumptions", "systems", "quarantine", "loads",
)  # fmt: skip

# One row per reporting week of the load (week of raw.loads.started_at) and source table, plus
# one total row per week (source null): the rows that came in (accepted + quarantined), those
# with a null required field (quarantined with a `required` failure, or accepted with a null
# in a contract-required column) and those rejected as duplicates.
DQ_ROWS_IN = Macro(
    "dq_rows_in",
    "raw_schema := 'raw'",
    """
with accepted_rows as (
    -- contract-required columns; ingest quarantines a null, so a hit here is a contract gap
    select
        'ai_events' as source,
        _load_id as load_id,
        (
            event_id is null or occurred_at is null or system is null
            or model_version is null or segment is null or action_tier is null
            or prediction is null or confidence is null or latency_ms is null
            or tokens_in is null or tokens_out is null or cost_usd is null
            or user_id is null or customer_id is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.ai_events')
    union all
    select
        'ai_features' as source,
        _load_id as load_id,
        (event_id is null or feature is null) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.ai_features')
    union all
    select
        'feedback' as source,
        _load_id as load_id,
        (
            event_id is null or labeled_at is null or accepted is null or overridden is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.feedback')
    union all
    select
        'work_items' as source,
        _load_id as load_id,
        (
            item_id is null or opened_at is null or team is null or customer_id is null
            or ai_assisted is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.work_items')
    union all
    select
        'users' as source,
        _load_id as load_id,
        (user_id is null or team is null or eligible_from is null) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.users')
    union all
    select
        'costs' as source,
        _load_id as load_id,
        (
            cost_id is null or period_start is null or period_end is null or category is null
            or amount is null or currency is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.costs')
    union all
    select
        'incidents' as source,
        _load_id as load_id,
        (
            incident_id is null or started_at is null or detected_at is null or severity is null
            or cause is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.incidents')
    union all
    select
        'assumptions' as source,
        _load_id as load_id,
        (
            key is null or effective_from is null or value is null or unit is null
            or owner is null or source is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.assumptions')
    union all
    select
        'systems' as source,
        _load_id as load_id,
        (
            system is null or effective_from is null or stage is null or owner is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.systems')
),

quarantined_rows as (
    -- every failure of the row counts, not only the first one in `rule`
    select
        table_name as source,
        load_id,
        coalesce(
            list_contains(json_extract_string(failures, '$[*].rule'), 'required'),
            rule = 'required'
        ) as has_null_required,
        coalesce(
            list_has_any(
                json_extract_string(failures, '$[*].rule'), ['duplicate_key', 'duplicate_row']
            ),
            rule in ('duplicate_key', 'duplicate_row')
        ) as is_duplicate
    from query_table(raw_schema || '.quarantine')
),

-- counted per load first: a few rows per load instead of every raw row through the join
per_load as (
    select
        source,
        load_id,
        count(*) as rows_in,
        count_if(has_null_required) as null_rows,
        count_if(is_duplicate) as duplicate_rows
    from (
        select * from accepted_rows
        union all
        select * from quarantined_rows
    ) as r
    group by source, load_id
),

rows_in as (
    select
        r.source,
        week_of(l.started_at) as week_start,
        r.rows_in,
        r.null_rows,
        r.duplicate_rows
    from per_load as r
    inner join query_table(raw_schema || '.loads') as l
        on l.load_id = r.load_id
)

select
    week_start,
    source,
    sum(rows_in) as rows_in,
    sum(null_rows) as null_rows,
    sum(duplicate_rows) as duplicate_rows
from rows_in
group by grouping sets ((week_start, source), (week_start))""",
    table=True,
    reads=tuple(f"raw.{t}" for t in _RAW),
)
