/* ---
name: accuracy
title: Accuracy
description: >
  Share of labelled AI events whose prediction was correct, by the reporting week the event
  occurred in. Labelled = the event has a feedback row whose `correct` is not null;
  numerator = labelled events with correct = true, denominator = labelled events. A row whose
  label coverage (labelled / all events of the same week, model version and segment) is below
  setting('label_coverage_floor') is flagged provisional; the unfinished current week is
  flagged partial (partial wins over provisional). Weeks with no labelled event have no row.
grain: One row per reporting week, system, model version and segment; one total row per week and system (model_version and segment null); one row per week, model version and segment over all systems (system null); and one company total row per week (all null).
kind: model
unit: ratio
direction: higher_is_better
dimensions: [system, model_version, segment]
thresholds: {warn: 0.8, alert: 0.76}
tags: [week_local]
--- */
with events as (
    select
        e.week_start,
        e.system,
        {'model_version': e.model_version, 'segment': e.segment} as dims,
        f.correct is not null as labelled,
        f.correct as hit
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
    coverage as label_coverage,
    flag
from feedback_ratio('events')
