/* ---
name: error_rate
title: Error rate
description: >
  Share of labelled AI events whose prediction was wrong (1 - accuracy), by the reporting week
  the event occurred in. Labelled = the event has a feedback row whose `correct` is not null;
  numerator = labelled events with correct = false, denominator = labelled events. Flagged
  provisional when label coverage of the row is below setting('label_coverage_floor'), partial
  in the unfinished current week.
grain: One row per reporting week, system, model version and segment; one total row per week and system (model_version and segment null); one row per week, model version and segment over all systems (system null); and one company total row per week (all null).
kind: model
unit: ratio
direction: lower_is_better
owner: ml-platform@example.com
dimensions: [system, model_version, segment]
thresholds: {warn: 0.2, alert: 0.24}
tests:
  - not_null(value)
  - unique(week_start, system, model_version, segment)
  - range(value, 0, 1)
tags: [week_local]
--- */
with events as (
    select
        e.event_id,
        e.week_start,
        e.system,
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
        system,
        model_version,
        segment,
        count(*) as events,
        count(correct) as labelled,
        count_if(not correct) as wrong_events
    from events
    group by grouping sets (
        (week_start, system, model_version, segment),
        (week_start, system),
        (week_start, model_version, segment),
        (week_start)
    )
    having grouping(system) = 1 or system is not null
)

select
    c.week_start,
    c.system,
    c.model_version,
    c.segment,
    c.wrong_events::double / c.labelled as value,
    c.wrong_events::double as numerator,
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
