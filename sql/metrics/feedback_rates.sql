/* ---
name: @{name}
title: @{title}
description: >
  Share of reviewed AI events where the human @{verb} the AI output (@{column} = true), by
  the reporting week the event occurred in. Reviewed = the event has a feedback row; numerator
  = feedback rows with @{column} = true, denominator = feedback rows. Flagged provisional when
  the share of events with feedback is below setting('label_coverage_floor'), partial in the
  unfinished current week. Weeks with no feedback have no row.
grain: One row per reporting week, system, model version and segment; one total row per week and system (model_version and segment null); one row per week, model version and segment over all systems (system null); and one company total row per week (all null).
kind: model
unit: ratio
direction: @{direction}
dimensions: [system, model_version, segment]
thresholds: {warn: @{warn}, alert: @{alert}}
tags: [week_local]
# the same share of reviewed events for two of the reviewer's verdicts (outcomes/core/blueprints.py)
blueprints:
  - {name: acceptance_rate, title: Acceptance rate, verb: accepted, column: accepted, direction: higher_is_better, warn: 0.7, alert: 0.6}
  - {name: override_rate, title: Override rate, verb: overrode, column: overridden, direction: lower_is_better, warn: 0.2, alert: 0.3}
--- */
with events as (
    select
        e.week_start,
        e.system,
        {'model_version': e.model_version, 'segment': e.segment} as dims,
        f.event_id is not null as labelled,
        f.@{column} as hit
    from staging.ai_events as e
    left join staging.feedback as f
        on f.event_id = e.event_id
)

select
    week_start,
    system,
    dims.model_version as model_version,
    dims.segment as segment,
    value,
    numerator,
    denominator,
    coverage as feedback_coverage,
    flag
from feedback_ratio('events')
