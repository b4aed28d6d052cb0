/* ---
name: acceptance_rate
title: Acceptance rate
description: >
  Share of reviewed AI events where the human accepted the AI output (accepted = true), by the
  reporting week the event occurred in. Reviewed = the event has a feedback row; numerator =
  feedback rows with accepted = true, denominator = feedback rows. Flagged provisional when
  the share of events with feedback is below setting('label_coverage_floor'), partial in the
  unfinished current week. Weeks with no feedback have no row.
grain: One row per reporting week, model version and segment, plus one total row per week (model_version and segment null = all).
kind: model
unit: ratio
direction: higher_is_better
owner: ml-platform@example.com
dimensions: [model_version, segment]
thresholds: {warn: 0.7, alert: 0.6}
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
        f.event_id is not null as has_feedback,
        f.accepted
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
        count_if(has_feedback) as reviewed,
        count_if(accepted) as accepted_events
    from events
    group by grouping sets ((week_start, model_version, segment), (week_start))
)

select
    c.week_start,
    c.model_version,
    c.segment,
    c.accepted_events::double / c.reviewed as value,
    c.accepted_events::double as numerator,
    c.reviewed::double as denominator,
    c.reviewed::double / c.events as feedback_coverage,
    case
        when w.is_partial then 'partial'
        when c.reviewed::double / c.events < setting('label_coverage_floor')::double
            then 'provisional'
    end as flag
from counted as c
left join staging.weeks as w
    on w.week_start = c.week_start
where c.reviewed > 0
