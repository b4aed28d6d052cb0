/* ---
name: infrastructure
title: Infrastructure
description: >
  Cloud and platform: cost lines of category infrastructure (staging.costs), each spread over the reporting weeks
  of its period by calendar day in whole cents (staging.cost_weeks), summed per week. Weeks
  before the first AI event count (pre-launch costs are costs of the project); weeks after the
  build's current week are left out until they arrive. The cost ids behind each week are the
  ledger's source for the input. The build fails this line when a cost line is not in the
  reporting currency.
grain: One row per reporting week, up to the build's current week, with cost lines of category infrastructure.
category: cost
formula: infrastructure_cost
inputs:
  infrastructure_cost: {cost_rows: infrastructure}
owner: finops@example.com
tests:
  - not_null(amount)
  - unique(week_start)
--- */
with weekly as (
    select
        week_start,
        sum(amount) as infrastructure_cost,
        bool_and(currency = setting('currency')) as in_reporting_currency,
        string_agg(distinct currency, ', ' order by currency) as currencies
    from staging.cost_weeks
    where category = 'infrastructure'
        and week_start <= week_of(setting('as_of')::timestamp)
    group by week_start
)

select
    week_start,
    infrastructure_cost,
    case
        when in_reporting_currency then infrastructure_cost::decimal(38, 10)
        else error('roi.infrastructure: cost lines of week ' || week_start || ' are in ' || currencies
            || ', the reporting currency is ' || setting('currency') || '; convert them first')
    end as amount,
    infrastructure_cost::double as value
from weekly
