/* ---
name: reviewed_accuracy
title: Reviewed accuracy (hand-checked sample)
description: >
  Share of the AI outputs judged by hand in the weekly review (the reproducible sample of
  the week, app_pages/weekly_review.py) that a reviewer marked correct. Reads raw.output_verdicts,
  which the build copies from the state store: one row per event with its latest verdict
  ('correct' / 'incorrect'); if an event still has several rows, the newest created_at wins.
  Verdicts count in the week the event belongs to (the verdict's week_start).
  numerator = outputs judged correct, denominator = outputs judged. A week with fewer than
  10 judged outputs is flagged insufficient (too few to alert on); the unfinished current
  week is flagged partial. Weeks with no verdict have no row. Per AI system (the system of
  the event, from staging.ai_events) and for the company (system null: every verdict, also
  one whose event is not in staging).
grain: One row per reporting week and system with at least one verdict on its events, plus one company row per week with a verdict (system null).
kind: model
unit: ratio
direction: higher_is_better
dimensions: [system]
thresholds: {warn: 0.85, alert: 0.8}
tests:
  - not_null(value, numerator, denominator)
  - range(value, 0, 1)
  - accepted_values(flag, ['insufficient', 'partial'])
--- */
with latest as (
    select
        event_id,
        week_start,
        verdict
    from raw.output_verdicts
    where verdict in ('correct', 'incorrect')
    qualify row_number() over (
        partition by event_id
        order by created_at desc, verdict
    ) = 1
),

counted as (
    select
        l.week_start,
        e.system,
        count_if(l.verdict = 'correct') as correct_outputs,
        count(*) as judged_outputs
    from latest as l
    left join staging.ai_events as e
        on e.event_id = l.event_id
    group by grouping sets ((l.week_start, e.system), (l.week_start))
    having grouping(e.system) = 1 or e.system is not null
)

select
    c.week_start,
    c.system,
    c.correct_outputs::double / c.judged_outputs as value,
    c.correct_outputs::double as numerator,
    c.judged_outputs::double as denominator,
    coalesce(
        partial_flag(c.week_start),
        case when c.judged_outputs < 10 then 'insufficient' end
    ) as flag
from counted as c
