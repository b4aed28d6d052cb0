/* ---
name: people
title: People
description: >
  Staff time charged to the AI system: cost lines of category people (staging.costs), each spread over the reporting weeks
  of its period by calendar day in whole cents (staging.cost_weeks), per AI system: its own
  lines and its share of the shared ones (staging.cost_allocations, whole cents), summed per week. Weeks
  before the first AI event count (pre-launch costs are costs of the project); weeks after the
  build's current week are left out until they arrive. The cost ids behind each week are the
  ledger's source for the input (own, and shared with the driver). The build fails this line when a cost line is not in the
  reporting currency.
grain: One row per reporting week and AI system, up to the build's current week, with cost lines of category people.
category: cost
formula: people_cost
inputs:
  people_cost: {cost_rows: people}
--- */
select
    week_start,
    system,
    cost as people_cost,
    amount,
    value
from cost_lines('people', 'roi.people', week_of(setting('as_of')::timestamp))
