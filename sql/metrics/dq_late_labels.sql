/* ---
name: dq_late_labels
title: Late labels
description: >
  Share of the labels (feedback rows) that arrived in the reporting week (week of labeled_at)
  more than 7 days (168 hours) after their event occurred: numerator = late labels,
  denominator = labels arriving that week; per AI system (the labelled event's system) and
  for the company (system null). Late labels leave recent weeks' accuracy provisional for
  longer. The unfinished current week is flagged partial.
grain: One row per reporting week and system in which labels of its events arrived, plus one company row per week in which labels arrived (system null).
kind: quality
unit: ratio
direction: lower_is_better
dimensions: [system]
thresholds: {warn: 0.2, alert: 0.3}
--- */
with labels as (
    select
        event_id,
        system,
        week_of(labeled_at) as week_start,
        label_delay_hours
    from staging.feedback
),

counted as (
    select
        week_start,
        system,
        count(*) as labels,
        count_if(label_delay_hours > 7 * 24) as late_labels,
        median(label_delay_hours) as median_delay_hours
    from labels
    group by grouping sets ((week_start, system), (week_start))
    having grouping(system) = 1 or system is not null
)

select
    c.week_start,
    c.system,
    c.late_labels::double / c.labels as value,
    c.late_labels::double as numerator,
    c.labels::double as denominator,
    c.median_delay_hours::double as median_delay_hours,
    partial_flag(c.week_start) as flag
from counted as c
