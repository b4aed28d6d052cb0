/* ---
name: latency_p@{pct}
title: Latency p@{pct}
description: >
  @{pct}th percentile of AI event latency in milliseconds, over all events of the reporting week
  the event occurred in, by DuckDB quantile_cont (linear interpolation between order
  statistics, as numpy's percentile method 'linear'). Not additive: a month's percentile must
  be recomputed from events. The unfinished current week is flagged partial.
grain: One row per reporting week, system, model version and segment; one total row per week and system (model_version and segment null); one row per week, model version and segment over all systems (system null); and one company total row per week (all null).
kind: model
unit: ms
direction: lower_is_better
dimensions: [system, model_version, segment]
thresholds: {warn: @{warn}, alert: @{alert}}
tags: [week_local]
# one metric per line: the same query at three quantiles (outcomes/core/blueprints.py)
blueprints:
  - {pct: 50, q: 0.50, warn: 2000, alert: 3000}
  - {pct: 95, q: 0.95, warn: 4000, alert: 6000}
  - {pct: 99, q: 0.99, warn: 6000, alert: 9000}
--- */
with events as (
    select
        week_start,
        system,
        {'model_version': model_version, 'segment': segment} as dims,
        latency_ms as x
    from staging.ai_events
)

select
    week_start,
    system,
    dims.model_version as model_version,
    dims.segment as segment,
    value,
    n,
    flag
from weekly_quantile('events', @{q})
