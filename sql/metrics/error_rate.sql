/* ---
name: error_rate
title: Error rate
description: >
  Share of labelled AI events whose prediction was wrong (1 - accuracy), by the reporting week
  the event occurred in. Labelled = the event has a feedback row whose `correct` is not null;
  numerator = labelled events with correct = false, denominator = labelled events. Flagged
  provisional when label coverage of the row is below setting('label_coverage_floor'), partial
  in the unfinished current week. The complement of accuracy over the same labelled events,
  read from there (same rows, coverage and flags).
grain: One row per reporting week, system, model version and segment; one total row per week and system (model_version and segment null); one row per week, model version and segment over all systems (system null); and one company total row per week (all null).
kind: model
unit: ratio
direction: lower_is_better
dimensions: [system, model_version, segment]
thresholds: {warn: 0.2, alert: 0.24}
tags: [week_local]
--- */
-- wrong events = labelled - correct ones (whole numbers: exact in a double)
select
    week_start,
    system,
    model_version,
    segment,
    (denominator - numerator) / denominator as value,
    denominator - numerator as numerator,
    denominator,
    label_coverage,
    flag
from metrics.accuracy
