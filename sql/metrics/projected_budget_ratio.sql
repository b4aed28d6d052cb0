/* ---
name: projected_budget_ratio
title: Projected inference cost against budget
description: >
  Projected monthly inference cost at production volume (metrics.projected_inference_cost:
  cost per inference x production volume x headroom, default headroom 3) divided by the
  budget: per AI system its inference_budget_per_week of the systems register (both turned
  into months), for the company (system null) the monthly_budget assumption effective at
  the week. Above 1 the production rollout would overrun the budget. Weeks without a budget
  have no row. Flagged partial in the unfinished current week.
grain: One row per reporting week and system with a projection and a budget, plus one company row per week with both (system null).
kind: cost
unit: ratio
direction: lower_is_better
dimensions: [system]
thresholds: {warn: 0.8, alert: 1.0}
tests:
  - range(value, 0, null)
--- */
with projections as (
    select
        week_start,
        system,
        numerator as projected_cost,
        denominator as budget,
        flag
    from metrics.projected_inference_cost
    where denominator > 0
)

select
    week_start,
    system,
    projected_cost / budget as value,
    projected_cost as numerator,
    budget as denominator,
    flag
from projections
