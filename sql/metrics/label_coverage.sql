/* ---
name: label_coverage
title: Label coverage
description: >
  Share of AI events that have a correctness label: events with a feedback row whose `correct`
  is not null, over all events, by the reporting week the event occurred in. A row below
  setting('label_coverage_floor') is flagged provisional (and so are the accuracy, error-rate
  and calibration rows of the same week and dimensions); the unfinished current week is
  flagged partial.
grain: One row per reporting week, model version and segment, plus one total row per week (model_version and segment null = all).
kind: model
unit: ratio
direction: higher_is_better
owner: ml-platform@example.com
dimensions: [model_version, segment]
thresholds: {warn: 0.3, alert: 0.2}
tests:
  - not_null(value)
  - unique(week_start, model_version, segment)
  - range(value, 0, 1)
tags: [week_local]
--- */
with events as (
    select
        e.event_id,
        e.week_start,
        e.model_version,
        e.segment,
        f.correct
    from staging.ai_events as e
    left join staging.feedback as f
        on f.event_id = e.event_id
),

counted as (
    select
        week_start,
        model_version,
        segment,
        count(*) as events,
        count(correct) as labelled
    from events
    group by grouping sets ((week_start, model_version, segment), (week_start))
)

select
    c.week_start,
    c.model_version,
    c.segment,
    c.labelled::double / c.events as value,
    c.labelled::double as numerator,
    c.events::double as denominator,
    case
        when w.is_partial then 'partial'
        when c.labelled::double / c.events < setting('label_coverage_floor')::double
            then 'provisional'
    end as flag
from counted as c
left join staging.weeks as w
    on w.week_start = c.week_start
