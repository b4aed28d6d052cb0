/* ---
name: dq_freshness_hours
title: Data freshness by source
description: >
  Hours from the newest row of each source to the end of the reporting week, or to the build
  time (as_of) for the current week; so the current week's row says how stale each source is
  now, and past weeks say how stale it was when the week closed. Newest row = ai_events:
  occurred_at, feedback: labeled_at, work_items: closed_at (else opened_at); incidents are
  left out (weeks without an incident are normal, not stale). The total row (source null) is
  the stalest source. Extra column stale = hours
  above setting('freshness_hours'). Not flagged partial on purpose: the current week's value
  is the point-in-time freshness the alert exists for. A source with no row yet has no row.
grain: One row per reporting week and source, plus one total row per week (source null = stalest source).
kind: quality
unit: hours
direction: lower_is_better
owner: data-eng@example.com
dimensions: [source]
thresholds: {warn: 48, alert: 96}
tests:
  - not_null(value)
  - unique(week_start, source)
  - range(value, 0, null)
  - accepted_values(source, ['ai_events', 'feedback', 'work_items'])
--- */
with source_rows as (
    select
        'ai_events' as source,
        occurred_at as row_at
    from staging.ai_events
    union all
    select
        'feedback' as source,
        labeled_at as row_at
    from staging.feedback
    union all
    select
        'work_items' as source,
        coalesce(closed_at, opened_at) as row_at
    from staging.work_items
),

-- the newest row per source and 15-minute UTC bucket first: every time zone offset and DST
-- change is a whole multiple of 15 minutes, so all rows of a bucket share a local week, and
-- week_of (a time zone conversion) runs on a few thousand rows instead of every row
buckets as (
    select
        source,
        max(row_at) as newest_at
    from source_rows
    group by source, time_bucket(interval 15 minutes, row_at)
),

weekly_newest as (
    select
        source,
        week_of(newest_at) as week_start,
        max(newest_at) as newest_at
    from buckets
    group by source, week_of(newest_at)
),

sources as (
    select distinct source
    from weekly_newest
),

grid as (
    -- week end is local midnight; converted back to UTC to compare with UTC row timestamps
    select
        w.week_start,
        s.source,
        least(
            ((w.week_start + 7)::timestamp at time zone setting('timezone')) at time zone 'UTC',
            setting('as_of')::timestamp
        ) as reference_at
    from staging.weeks as w
    cross join sources as s
),

newest as (
    -- the newest row at or before the week: the last week with rows, up to this one
    select
        g.week_start,
        g.source,
        g.reference_at,
        n.newest_at
    from grid as g
    asof inner join weekly_newest as n
        on n.source = g.source
        and n.week_start <= g.week_start
),

per_source as (
    select
        week_start,
        source,
        greatest(date_diff('second', newest_at, reference_at) / 3600.0, 0) as hours,
        newest_at
    from newest
),

with_total as (
    select
        week_start,
        source,
        hours,
        newest_at
    from per_source
    union all
    select
        week_start,
        null as source,
        max(hours) as hours,
        min(newest_at) as newest_at
    from per_source
    group by week_start
)

select
    week_start,
    source,
    hours::double as value,
    newest_at,
    hours > setting('freshness_hours')::double as stale,
    null::varchar as flag
from with_total
