/* ---
name: dq_duplicate_rate
title: Duplicate rate
description: >
  Share of the rows that came in (accepted + quarantined) in the loads started in the
  reporting week (week of raw.loads.started_at) that were rejected as duplicates: rule
  duplicate_key (the key repeats within the file; the first occurrence wins) or duplicate_row
  (identical row loaded before), among any of the row's failures. numerator = duplicate
  rows, denominator = rows in. Weeks without loads have no row. The unfinished current week
  is flagged partial.
grain: One row per reporting week (of the load) and source table, plus one total row per week (source null = all tables).
kind: quality
unit: ratio
direction: lower_is_better
owner: data-eng@example.com
dimensions: [source]
thresholds: {warn: 0.01, alert: 0.05}
tests:
  - not_null(value)
  - unique(week_start, source)
  - range(value, 0, 1)
--- */
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
    from raw.ai_events
    union all
    select
        'ai_features' as source,
        _load_id as load_id,
        (event_id is null or feature is null) as has_null_required,
        false as is_duplicate
    from raw.ai_features
    union all
    select
        'feedback' as source,
        _load_id as load_id,
        (
            event_id is null or labeled_at is null or accepted is null or overridden is null
        ) as has_null_required,
        false as is_duplicate
    from raw.feedback
    union all
    select
        'work_items' as source,
        _load_id as load_id,
        (
            item_id is null or opened_at is null or team is null or customer_id is null
            or ai_assisted is null
        ) as has_null_required,
        false as is_duplicate
    from raw.work_items
    union all
    select
        'users' as source,
        _load_id as load_id,
        (user_id is null or team is null or eligible_from is null) as has_null_required,
        false as is_duplicate
    from raw.users
    union all
    select
        'costs' as source,
        _load_id as load_id,
        (
            cost_id is null or period_start is null or period_end is null or category is null
            or amount is null or currency is null
        ) as has_null_required,
        false as is_duplicate
    from raw.costs
    union all
    select
        'incidents' as source,
        _load_id as load_id,
        (
            incident_id is null or started_at is null or detected_at is null or severity is null
            or cause is null
        ) as has_null_required,
        false as is_duplicate
    from raw.incidents
    union all
    select
        'assumptions' as source,
        _load_id as load_id,
        (
            key is null or effective_from is null or value is null or unit is null
            or owner is null or source is null
        ) as has_null_required,
        false as is_duplicate
    from raw.assumptions
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
    from raw.quarantine
),

-- counted per load first: a few rows per load instead of every raw row through the join
per_load as (
    select
        source,
        load_id,
        count(*) as rows_in,
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
        r.duplicate_rows
    from per_load as r
    inner join raw.loads as l
        on l.load_id = r.load_id
),

counted as (
    select
        week_start,
        source,
        sum(rows_in) as rows_in,
        sum(duplicate_rows) as duplicate_rows
    from rows_in
    group by grouping sets ((week_start, source), (week_start))
)

select
    c.week_start,
    c.source,
    c.duplicate_rows::double / c.rows_in as value,
    c.duplicate_rows::double as numerator,
    c.rows_in::double as denominator,
    case when w.is_partial then 'partial' end as flag
from counted as c
left join staging.weeks as w
    on w.week_start = c.week_start
