/* ---
name: label_coverage
title: Label coverage
description: >
  Share of AI events that have a correctness label: events with a feedback row whose `correct`
  is not null, over all events, by the reporting week the event occurred in. A row below
  setting('label_coverage_floor') is flagged provisional (and so are the accuracy, error-rate
  and calibration rows of the same week and dimensions); the unfinished current week is
  flagged partial.
grain: One row per reporting week, system, model version and segment; one total row per week and system (model_version and segment null); one row per week, model version and segment over all systems (system null); and one company total row per week (all null).
kind: model
unit: ratio
direction: higher_is_better
dimensions: [system, model_version, segment]
thresholds: {warn: 0.3, alert: 0.2}
tags: [week_local]
--- */
-- the feedback ratio where every event counts as reviewed and a labelled one as a hit:
-- value = labelled / events, and the coverage the flag tests is the value itself
with events as (
    select
        e.week_start,
        e.system,
        {'model_version': e.model_version, 'segment': e.segment} as dims,
        true as labelled,
        f.correct is not null as hit
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
    coverage_flag(week_start, value) as flag
from feedback_ratio('events')
