/* ---
name: dq_freshness_hours
title: Data freshness by source
description: >
  Hours from the newest row of each source to the end of the reporting week, or to the build
  time (as_of) for the current week; so the current week's row says how stale each source is
  now, and past weeks say how stale it was when the week closed. Newest row = ai_events:
  occurred_at, feedback: labeled_at, work_items: closed_at (else opened_at); incidents are
  left out (weeks without an incident are normal, not stale). Per AI system (its events,
  the feedback on them, the work items it assisted) and for the company (system null: every
  row, unassisted work items included). A total row (source null) is the stalest source of
  the system, or of the company. Extra columns: sla_hours = the system's
  freshness_sla_hours in the systems register (version in force at the week), else
  setting('freshness_hours') (always for the company); stale = hours above sla_hours. Not
  flagged partial on purpose: the current week's value is the point-in-time freshness the
  alert exists for. A source with no row yet (of the system) has no row.
grain: One row per reporting week, system and source; one total row per week and system (source null = its stalest source); one row per week and source over all systems (system null); and one company total row per week (system and source null = stalest source).
kind: quality
unit: hours
direction: lower_is_better
dimensions: [system, source]
thresholds: {warn: 48, alert: 96}
tests:
  - range(value, 0, null)
  - accepted_values(source, ['ai_events', 'feedback', 'work_items'])
--- */
with source_rows as (
    select
        'ai_events' as source,
        system,
        occurred_at as row_at
    from staging.ai_events
    union all
    select
        'feedback' as source,
        system,
        labeled_at as row_at
    from staging.feedback
    union all
    select
        'work_items' as source,
        system,
        coalesce(closed_at, opened_at) as row_at
    from staging.work_items
),

-- the newest row per source, system and 15-minute UTC bucket first: every time zone offset
-- and DST change is a whole multiple of 15 minutes, so all rows of a bucket share a local
-- week, and week_of (a time zone conversion) runs on a few thousand rows instead of every row
buckets as (
    select
        source,
        system,
        max(row_at) as newest_at
    from source_rows
    group by source, system, time_bucket(interval 15 minutes, row_at)
),

-- scope = the system ('' for the company: every row, rows without a system included)
weekly_newest as (
    select
        source,
        system as scope,
        week_of(newest_at) as week_start,
        max(newest_at) as newest_at
    from buckets
    where system is not null
    group by source, system, week_of(newest_at)
    union all
    select
        source,
        '' as scope,
        week_of(newest_at) as week_start,
        max(newest_at) as newest_at
    from buckets
    group by source, week_of(newest_at)
),

scopes as (
    select distinct
        scope,
        source
    from weekly_newest
),

grid as (
    -- week end is local midnight; converted back to UTC to compare with UTC row timestamps
    select
        w.week_start,
        s.scope,
        s.source,
        least(
            ((w.week_start + 7)::timestamp at time zone setting('timezone')) at time zone 'UTC',
            setting('as_of')::timestamp
        ) as reference_at
    from staging.weeks as w
    cross join scopes as s
),

newest as (
    -- the newest row at or before the week: the last week with rows, up to this one
    select
        g.week_start,
        g.scope,
        g.source,
        g.reference_at,
        n.newest_at
    from grid as g
    asof inner join weekly_newest as n
        on n.scope = g.scope
        and n.source = g.source
        and n.week_start <= g.week_start
),

per_source as (
    select
        week_start,
        scope,
        source,
        greatest(date_diff('second', newest_at, reference_at) / 3600.0, 0) as hours,
        newest_at
    from newest
),

with_total as (
    select
        week_start,
        scope,
        source,
        hours,
        newest_at
    from per_source
    union all
    select
        week_start,
        scope,
        null as source,
        max(hours) as hours,
        min(newest_at) as newest_at
    from per_source
    group by week_start, scope
),

with_sla as (
    select
        t.week_start,
        nullif(t.scope, '') as system,
        t.source,
        t.hours,
        t.newest_at,
        coalesce(r.freshness_sla_hours, setting('freshness_hours')::double) as sla_hours
    from with_total as t
    left join staging.systems as r
        on r.system = t.scope
        and r.effective_from <= t.week_start
        and (r.effective_to is null or r.effective_to >= t.week_start)
)

select
    week_start,
    system,
    source,
    hours::double as value,
    newest_at,
    sla_hours::double as sla_hours,
    hours > sla_hours as stale,
    null::varchar as flag
from with_sla
