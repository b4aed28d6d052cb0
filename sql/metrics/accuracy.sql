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
grain: One row per reporting week, model version and segment, plus one total row per week (model_version and segment null = all).
kind: model
unit: ratio
direction: higher_is_better
owner: ml-platform@example.com
dimensions: [model_version, segment]
thresholds: {warn: 0.8, alert: 0.76}
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
        count(correct) as labelled,
        count_if(correct) as correct_events
    from events
    group by grouping sets ((week_start, model_version, segment), (week_start))
)

select
    c.week_start,
    c.model_version,
    c.segment,
    c.correct_events::double / c.labelled as value,
    c.correct_events::double as numerator,
    c.labelled::double as denominator,
    c.labelled::double / c.events as label_coverage,
    case
        when w.is_partial then 'partial'
        when c.labelled::double / c.events < setting('label_coverage_floor')::double
            then 'provisional'
    end as flag
from counted as c
left join staging.weeks as w
    on w.week_start = c.week_start
where c.labelled > 0
