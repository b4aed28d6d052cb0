/* ---
name: dq_quarantined_rows
title: Quarantined rows by source and rule
description: >
  Number of source rows rejected by ingest (raw.quarantine, one row per rejected source row)
  in the loads started in the reporting week (week of raw.loads.started_at), by source table
  and by the row's first failed rule (required, type, allowed_values, range, not_future,
  order, one_of, duplicate_key, duplicate_row). Rows per (week, source) with rule null are the
  source's total; the total row (source and rule null) exists for every week of the reporting
  calendar and every load week, 0 when nothing was rejected. The unfinished current week is
  flagged partial.
  Load-level, not per AI system: a rejected row's system is part of what failed
  validation, so it is not trusted to attribute the row (per-system data quality:
  dq_freshness_hours, dq_late_labels, dq_volume_vs_trailing).
grain: One row per reporting week, source table and rule with rejections, one per week and source (rule null), and one total row per week (source and rule null).
kind: quality
unit: count
direction: lower_is_better
dimensions: [source, rule]
thresholds: {warn: 10, alert: 100}
tests:
  - range(value, 0, null)
--- */
with quarantined as (
    select
        q.table_name as source,
        q.rule,
        week_of(l.started_at) as week_start
    from raw.quarantine as q
    inner join raw.loads as l
        on l.load_id = q.load_id
),

calendar as (
    select week_start
    from staging.weeks
    union
    select week_start
    from quarantined
),

joined as (
    select
        c.week_start,
        q.source,
        q.rule,
        q.week_start is not null as is_rejected
    from calendar as c
    left join quarantined as q
        on q.week_start = c.week_start
),

counted as (
    select
        week_start,
        source,
        rule,
        count_if(is_rejected) as rejected_rows
    from joined
    group by grouping sets ((week_start, source, rule), (week_start, source), (week_start))
    -- the calendar's empty weeks must not become 'source null' dimension rows
    having grouping(source) = 1 or source is not null
)

select
    c.week_start,
    c.source,
    c.rule,
    c.rejected_rows::double as value,
    partial_flag(c.week_start) as flag
from counted as c
