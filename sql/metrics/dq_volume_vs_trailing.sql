/* ---
name: dq_volume_vs_trailing
title: Row volume against the trailing 4-week mean
description: >
  Rows of each source in the reporting week divided by the mean rows per week of the 4 weeks
  before it (weeks of the reporting calendar, 0 for a week without rows). Rows are counted by
  their own time: ai_events by occurred_at, feedback by labeled_at, work_items by opened_at
  (incidents are too sparse for a volume check). Per AI system (its events, the feedback on
  them, the work items it assisted) and for the company (system null: every row, unassisted
  work items included); a total row (source null) sums the sources. A system's or the
  company's series of a source starts at its first week with rows. numerator = rows this
  week, denominator = the trailing mean. A week with fewer than 4 weeks of the series before
  it uses the weeks there are and is flagged insufficient; the unfinished current week is
  flagged partial; a trailing mean of 0 gives no row. Thresholds catch drops (missing data);
  spikes from duplicates are dq_duplicate_rate.
grain: One row per reporting week, system and source; one total row per week and system (source null); one row per week and source over all systems (system null); and one company total row per week (system and source null).
kind: quality
unit: ratio
direction: higher_is_better
dimensions: [system, source]
thresholds: {warn: 0.7, alert: 0.5}
tests:
  - range(value, 0, null)
--- */
with source_rows as (
    select
        'ai_events' as source,
        system,
        week_start
    from staging.ai_events
    union all
    select
        'feedback' as source,
        system,
        week_of(labeled_at) as week_start
    from staging.feedback
    union all
    select
        'work_items' as source,
        system,
        opened_week as week_start
    from staging.work_items
),

-- scope = the system ('' for the company: every row, rows without a system included)
weekly_rows as (
    select
        source,
        system as scope,
        week_start,
        count(*) as row_count
    from source_rows
    where system is not null
    group by source, system, week_start
    union all
    select
        source,
        '' as scope,
        week_start,
        count(*) as row_count
    from source_rows
    group by source, week_start
),

series as (
    select
        scope,
        source,
        min(week_start) as first_week
    from weekly_rows
    group by scope, source
),

grid as (
    select
        w.week_start,
        s.scope,
        s.source,
        coalesce(r.row_count, 0) as row_count
    from staging.weeks as w
    inner join series as s
        on w.week_start >= s.first_week
    left join weekly_rows as r
        on r.scope = s.scope
        and r.source = s.source
        and r.week_start = w.week_start
),

with_total as (
    select
        week_start,
        scope,
        source,
        sum(row_count) as row_count
    from grid
    group by grouping sets ((week_start, scope, source), (week_start, scope))
),

trailing_means as (
    select
        week_start,
        scope,
        source,
        row_count,
        avg(row_count) over trailing_weeks as trailing_mean,
        count(*) over trailing_weeks as weeks_before
    from with_total
    window trailing_weeks as (
        partition by scope, source
        order by week_start
        rows between 4 preceding and 1 preceding
    )
)

select
    t.week_start,
    nullif(t.scope, '') as system,
    t.source,
    t.row_count / t.trailing_mean as value,
    t.row_count::double as numerator,
    t.trailing_mean::double as denominator,
    t.weeks_before,
    coalesce(
        partial_flag(t.week_start),
        case when t.weeks_before < 4 then 'insufficient' end
    ) as flag
from trailing_means as t
where t.trailing_mean > 0
