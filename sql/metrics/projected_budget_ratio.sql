/* ---
name: projected_budget_ratio
title: Projected inference cost against budget
description: >
  Projected monthly inference cost at production volume (metrics.projected_inference_cost:
  cost per inference x projected_monthly_volume x headroom, default headroom 3) divided by the
  monthly_budget assumption effective at the week. Above 1 the production rollout would
  overrun the budget. Weeks without a budget assumption have no row. Flagged partial in the
  unfinished current week.
grain: One row per reporting week with a projection and a budget.
kind: cost
unit: ratio
direction: lower_is_better
owner: finops@example.com
thresholds: {warn: 0.8, alert: 1.0}
tests:
  - not_null(value)
  - unique(week_start)
  - range(value, 0, null)
--- */
with projections as (
    select
        week_start,
        numerator as projected_cost,
        denominator as budget,
        flag
    from metrics.projected_inference_cost
    where denominator > 0
)

select
    week_start,
    projected_cost / budget as value,
    projected_cost as numerator,
    budget as denominator,
    flag
from projections
