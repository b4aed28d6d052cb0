/* ---
name: inference
title: Inference
description: >
  Inference spend of the reporting week as measured on the AI events: the sum of cost_usd of
  every event that occurred in the week (staging.ai_events), exact DECIMAL. This is the ledger's
  inference cost; inference invoices (costs of category inference) are not a ledger line, so
  the spend is not counted twice; they are the evidence to reconcile this line against. The
  build fails this line when the reporting currency is not USD (events are priced in USD).
grain: One row per reporting week with AI events.
category: cost
formula: event_cost_usd
inputs:
  event_cost_usd: {events: cost_usd}
owner: finops@example.com
tests:
  - not_null(amount)
  - unique(week_start)
--- */
with weekly as (
    select
        week_start,
        sum(cost_usd) as event_cost_usd
    from staging.ai_events
    group by week_start
)

select
    week_start,
    event_cost_usd,
    case
        when setting('currency') = 'USD' then event_cost_usd::decimal(38, 10)
        else error('roi.inference: events are priced in USD but the reporting currency is '
            || setting('currency') || '; convert cost_usd first')
    end as amount,
    event_cost_usd::double as value
from weekly
