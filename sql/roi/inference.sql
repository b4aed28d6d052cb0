/* ---
name: inference
title: Inference
description: >
  Inference spend of an AI system in the reporting week as measured on its AI events: the sum
  of cost_usd of every event of the system that occurred in the week (staging.ai_events),
  exact DECIMAL. This is the ledger's
  inference cost; inference invoices (costs of category inference) are not a ledger line, so
  the spend is not counted twice; they are the evidence to reconcile this line against. The
  build fails this line when the reporting currency is not USD (events are priced in USD).
grain: One row per reporting week and AI system with AI events.
category: cost
formula: event_cost_usd
inputs:
  event_cost_usd: {events: cost_usd}
--- */
with weekly as (
    select
        week_start,
        system,
        sum(cost_usd) as event_cost_usd
    from staging.ai_events
    group by week_start, system
)

select
    week_start,
    system,
    event_cost_usd,
    case
        when setting('currency') = 'USD' then event_cost_usd::decimal(38, 10)
        else error('roi.inference: events are priced in USD but the reporting currency is '
            || setting('currency') || '; convert cost_usd first')
    end as amount,
    event_cost_usd::double as value
from weekly
