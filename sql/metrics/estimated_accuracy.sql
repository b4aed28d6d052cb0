/* ---
name: estimated_accuracy
title: Estimated accuracy (CBPE)
description: >
  Accuracy expected from the model's confidence, known before the labels arrive:
  confidence-based performance estimation as NannyML's CBPE. Each AI system's confidence is
  calibrated on its labelled reference events (isotonic regression, fitted by the build in
  Python, score = confidence, target = correct; stored as breakpoints in main.calibration,
  with the method, the window and the rows fitted). Reference window: the system's first
  setting('drift.reference_weeks') complete weeks, extended week by week until it holds at
  least setting('cbpe.min_reference_labels') labelled events with a confidence, never past
  the last complete week (main.calibration reference_from, reference_to, reference_weeks,
  fitted_rows); when the whole history holds fewer, all of them are fitted and
  main.calibration.reference_short is true (its reason says so). The weeks of the window are
  estimated in-sample. An event's expected hit is its calibrated confidence
  (linear interpolation between the breakpoints, confidence clipped to the first and last);
  value = mean expected hit of the week's events with a confidence (numerator = expected
  correct events, denominator = events scored). sampling_error = the standard deviation
  (ddof 0) of the labelled reference events' correctness / sqrt(events scored), and
  estimated_low / estimated_high = value -/+ 3 sampling errors clipped to 0..1 (NannyML's
  confidence band; rows of one system only, null over several). Beside it:
  realised_accuracy (labelled correct / labelled, null without labels), label_coverage
  (labelled / events),
  filled_accuracy (realised when label coverage reaches setting('label_coverage_floor'),
  else the estimate; basis says which). flag 'estimated' marks a week whose labels have not
  arrived (label coverage below the floor); the unfinished current week is flagged partial
  (partial wins). The events of a system without a calibration (no labelled reference event:
  main.calibration method none) are in no row, company rows included, so that estimate and
  realised accuracy describe the same events.
grain: One row per reporting week, system and model version; one total row per week and system (model_version null); one row per week and model version over all systems (system null); and one company total row per week (all null).
kind: model
unit: ratio
direction: higher_is_better
dimensions: [system, model_version]
thresholds: {warn: 0.8, alert: 0.76}
tests:
  - not_null(value, label_coverage, filled_accuracy, basis, events, labelled)
  - unique(week_start, system, model_version)
  - range(value, 0, 1)
  - range(estimated_low, 0, 1)
  - range(estimated_high, 0, 1)
  - range(realised_accuracy, 0, 1)
  - range(label_coverage, 0, 1)
  - accepted_values(flag, ['partial', 'estimated'])
  - accepted_values(basis, ['realised', 'estimated'])
# a week's rows read that week's events, main.calibration and staging.weeks: an incremental
# build recomputes the changed weeks while the calibration it fits is the base's, else all
tags: [week_local]
--- */
-- The calibration maps each distinct (system, confidence) once, and events take the mapped
-- value by an equality join: confidences repeat (4 decimals in the demo), and the ASOF join of
-- every event against the breakpoints was most of this metric's time (at 1M events 0.58 s of
-- 0.75 s).
with calibrated_systems as (
    select c.system
    from main.calibration as c
    where c.x is not null
),

scores as (
    select distinct
        e.system,
        e.confidence as score,
        true as predicted_positive
    from staging.ai_events as e
    where e.system in (select system from calibrated_systems)
),

scored_scores as (
    select * from cbpe_scored('scores')
),

scored as (
    select
        e.week_start,
        e.system,
        e.model_version,
        s.expected_hit,
        f.correct is not null as labelled,
        coalesce(f.correct, false) as hit
    from staging.ai_events as e
    left join staging.feedback as f
        on f.event_id = e.event_id
    left join scored_scores as s
        on s.system = e.system
        and s.score is not distinct from e.confidence
    where e.system in (select system from calibrated_systems)
),

aggregated as (
    select
        week_start,
        system,
        model_version,
        -- summed as DECIMAL (each hit rounded to 18 places): a DOUBLE sum depends on the
        -- order parallel threads add in, and the same inputs must give the same bits
        sum(expected_hit::decimal(38, 18)) as expected_hits,
        count(expected_hit) as scored_events,
        count(*) as events,
        count_if(labelled) as labelled,
        count_if(hit) as hits
    from scored
    group by grouping sets (
        (week_start, system, model_version),
        (week_start, system),
        (week_start, model_version),
        (week_start)
    )
    having grouping(system) = 1 or system is not null
),

-- NannyML's sampling-error component: the std of the reference's correctness, per system
reference_spread as (
    select
        system,
        any_value(reference_hit_std) as hit_std
    from main.calibration
    group by system
),

measured as (
    select
        a.*,
        case when a.system is not null then r.hit_std / sqrt(a.scored_events) end
            as sampling_error,
        a.expected_hits::double / a.scored_events as estimated,
        case when a.labelled > 0 then a.hits::double / a.labelled end as realised,
        a.labelled::double / a.events as coverage,
        a.labelled > 0
            and a.labelled::double / a.events >= setting('label_coverage_floor')::double
            as labels_in
    from aggregated as a
    left join reference_spread as r
        on r.system = a.system
    where a.scored_events > 0
)

select
    m.week_start,
    m.system,
    m.model_version,
    m.estimated as value,
    m.expected_hits::double as numerator,
    m.scored_events::double as denominator,
    m.sampling_error,
    -- explicit: greatest / least skip a null argument
    case
        when m.sampling_error is not null then greatest(m.estimated - 3 * m.sampling_error, 0)
    end as estimated_low,
    case
        when m.sampling_error is not null then least(m.estimated + 3 * m.sampling_error, 1)
    end as estimated_high,
    m.realised as realised_accuracy,
    m.coverage as label_coverage,
    case when m.labels_in then m.realised else m.estimated end as filled_accuracy,
    case when m.labels_in then 'realised' else 'estimated' end as basis,
    m.events,
    m.labelled,
    coalesce(
        case when w.is_partial then 'partial' end,
        case when not m.labels_in then 'estimated' end
    ) as flag
from measured as m
left join staging.weeks as w
    on w.week_start = m.week_start
