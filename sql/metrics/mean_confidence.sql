/* ---
name: mean_confidence
title: Mean confidence
description: >
  Mean model confidence (0..1) over all AI events of the reporting week the event occurred in.
  numerator = sum of confidence, denominator = events, so a roll-up is
  sum(numerator) / sum(denominator). The unfinished current week is flagged partial.
grain: One row per reporting week, system, model version and segment; one total row per week and system (model_version and segment null); one row per week, model version and segment over all systems (system null); and one company total row per week (all null).
kind: model
unit: score
direction: neutral
dimensions: [system, model_version, segment]
thresholds: {warn: 0.1, alert: 0.2, mode: change_abs}
tests:
  - range(value, 0, 1)
tags: [week_local]
--- */
with events as (
    select
        week_start,
        system,
        {'model_version': model_version, 'segment': segment} as dims,
        confidence as x
    from staging.ai_events
)

select
    week_start,
    system,
    dims.model_version as model_version,
    dims.segment as segment,
    value,
    numerator,
    denominator,
    flag
from weekly_mean('events')
