/* ---
name: latency_p95
title: Latency p95
description: >
  95th percentile of AI event latency in milliseconds, over all events of the reporting week
  the event occurred in, by DuckDB quantile_cont (linear interpolation between order
  statistics, as numpy's percentile method 'linear'). Not additive: a month's percentile must
  be recomputed from events. The unfinished current week is flagged partial.
grain: One row per reporting week, model version and segment, plus one total row per week (model_version and segment null = all).
kind: model
unit: ms
direction: lower_is_better
owner: ml-platform@example.com
dimensions: [model_version, segment]
thresholds: {warn: 4000, alert: 6000}
tests:
  - not_null(value)
  - unique(week_start, model_version, segment)
tags: [week_local]
--- */
with events as (
    select
        week_start,
        model_version,
        segment,
        latency_ms
    from staging.ai_events
),

aggregated as (
    select
        week_start,
        model_version,
        segment,
        quantile_cont(latency_ms, 0.95) as latency_ms,
        count(*) as events
    from events
    group by grouping sets ((week_start, model_version, segment), (week_start))
)

select
    a.week_start,
    a.model_version,
    a.segment,
    a.latency_ms::double as value,
    a.events::double as n,
    case when w.is_partial then 'partial' end as flag
from aggregated as a
left join staging.weeks as w
    on w.week_start = a.week_start
