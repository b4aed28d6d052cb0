/* ---
name: calibration_error
title: Expected calibration error
description: >
  Expected calibration error (ECE) over labelled AI events of the reporting week the event
  occurred in: confidence is cut into 10 equal-width bins ([0, 0.1), [0.1, 0.2), ...,
  [0.9, 1.0], 1.0 in the last bin); ECE = sum over bins of (bin events / labelled events) *
  |share correct in the bin - mean confidence in the bin|. Labelled = feedback with `correct`
  not null. Not additive: a month's ECE must be recomputed from events, not rolled up. Flagged
  provisional when label coverage is below setting('label_coverage_floor'), partial in the
  unfinished current week: label_coverage and flag are those of the label_coverage metric's
  row of the same week and dimensions.
grain: One row per reporting week, system, model version and segment; one total row per week and system (model_version and segment null); one row per week, model version and segment over all systems (system null); and one company total row per week (all null).
kind: model
unit: score
direction: lower_is_better
dimensions: [system, model_version, segment]
thresholds: {warn: 0.18, alert: 0.25}
tests:
  - range(value, 0, 1)
tags: [week_local]
--- */
with events as (
    select
        e.week_start,
        e.system,
        e.model_version,
        e.segment,
        e.confidence,
        f.correct,
        least(floor(e.confidence * 10), 9)::integer as bin
    from staging.ai_events as e
    left join staging.feedback as f
        on f.event_id = e.event_id
),

bins as (
    select
        week_start,
        system,
        model_version,
        segment,
        bin,
        count(*) as bin_events,
        count_if(correct) as bin_correct,
        sum(confidence) as bin_confidence
    from events
    where correct is not null
    group by grouping sets (
        (week_start, system, model_version, segment, bin),
        (week_start, system, bin),
        (week_start, model_version, segment, bin),
        (week_start, bin)
    )
    having grouping(system) = 1 or system is not null
),

ece as (
    -- |correct - sum(confidence)| / n per bin = (n_b / n) * |acc_b - conf_b|
    select
        week_start,
        system,
        model_version,
        segment,
        sum(abs(bin_correct - bin_confidence)) / sum(bin_events) as value,
        sum(bin_events) as labelled,
        count(*) as bins_used
    from bins
    group by week_start, system, model_version, segment
)

select
    e.week_start,
    e.system,
    e.model_version,
    e.segment,
    e.value,
    e.labelled::double as n,
    e.bins_used,
    c.value as label_coverage,
    c.flag
from ece as e
inner join metrics.label_coverage as c
    on c.week_start = e.week_start
    and c.system is not distinct from e.system
    and c.model_version is not distinct from e.model_version
    and c.segment is not distinct from e.segment
