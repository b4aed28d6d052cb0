"""Macros of the data-quality metrics: the rows that came in, per load week and source.

These are load-level counts (a file, a load, its rejected rows): not per AI system. A
quarantined row's system is one of the values that failed validation or sits beside them,
so it cannot be trusted to attribute the row; the per-system data quality is in
dq_freshness_hours, dq_late_labels and dq_volume_vs_trailing, which read accepted rows.
"""

from __future__ import annotations

from outcomes.core.contracts import CONTRACTS
from outcomes.core.macros.definition import Macro

# every raw table the rows-in count reads (through raw_schema), staging.load_rows aside
_RAW = (
    "ai_events", "ai_features", "feedback", "work_items", "users", "costs", "incidents",
    "assumptions", "systems", "quarantine", "loads",
)  # fmt: skip


# the tables whose loads staging.load_rows counts (the raw store's load-file tables): a build
# after a new load counts that load's rows only; the small tables are counted here directly.
# raw_schema names where the small tables and the quarantine are read; these four always come
# from staging.load_rows
LOAD_ROWS = "staging.load_rows"
COUNTED_IN_STAGING = ("ai_events", "ai_features", "feedback", "work_items")


# the accepted rows of every other source table, each with whether a column its contract
# requires is null: ingest quarantines such a row, so a hit here is a row accepted before the
# column was required, or an ingest gap
def _accepted_rows() -> str:
    blocks = []
    for table in _RAW:
        if table not in CONTRACTS or table in COUNTED_IN_STAGING:
            continue  # quarantine and loads: not a source; the large tables: staging.load_rows
        nulls = "\n            or ".join(f"{c} is null" for c in CONTRACTS[table].required_columns)
        blocks.append(
            f"""    select
        '{table}' as source,
        _load_id as load_id,
        (
            {nulls}
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.{table}')"""
        )
    return "\n    union all\n".join(blocks)


# One row per reporting week of the load (week of raw.loads.started_at) and source table, plus
# one total row per week (source null): the rows that came in (accepted + quarantined), those
# with a null required field (quarantined with a `required` failure, or accepted with a null
# in a contract-required column) and those rejected as duplicates.
DQ_ROWS_IN = Macro(
    "dq_rows_in",
    "raw_schema := 'raw'",
    f"""
with accepted_rows as (
{_accepted_rows()}
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

-- counted per load first: a few rows per load instead of every raw row through the join (the
-- large tables' accepted rows are counted per load in staging.load_rows)
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
    union all
    select
        source,
        _load_id as load_id,
        rows_accepted as rows_in,
        null_rows,
        0 as duplicate_rows
    from {LOAD_ROWS}
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
    reads=(*(f"raw.{t}" for t in _RAW if t not in COUNTED_IN_STAGING), LOAD_ROWS),
)
