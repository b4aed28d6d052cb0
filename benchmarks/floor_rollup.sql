-- The floor for the weekly roll-up: one hand-written query over the raw tables (the newest
-- load per key, as staging does, ranking only the keys a correcting load touched: every other
-- key has one version), computing per reporting week x model_version x segment (plus the
-- weekly total) what the product's event metrics compute: events, latency p50/p95/p99, mean
-- confidence, tokens per event, cost, accuracy numerator and denominator. Checked against
-- metrics.latency_p95, metrics.accuracy, metrics.mean_confidence.
with corrected_events as materialized (
    select distinct event_id from raw.ai_events
    where _load_id in (select load_id from raw.loads where rows_corrected > 0)
        and coalesce(_correction, true)
),
corrected_labels as materialized (
    select distinct event_id from raw.feedback
    where _load_id in (select load_id from raw.loads where rows_corrected > 0)
        and coalesce(_correction, true)
),
events as (
    (select e.event_id, week_of(e.occurred_at) as week_start, e.model_version, e.segment,
        e.latency_ms, e.confidence, e.tokens_in + e.tokens_out as tokens, e.cost_usd
    from raw.ai_events as e
    semi join corrected_events as c on c.event_id = e.event_id
    left join raw.loads as l on l.load_id = e._load_id
    qualify row_number() over (
        partition by e.event_id order by l.started_at desc, e._load_id desc, e._row_number desc
    ) = 1)
    union all
    (select e.event_id, week_of(e.occurred_at), e.model_version, e.segment,
        e.latency_ms, e.confidence, e.tokens_in + e.tokens_out, e.cost_usd
    from raw.ai_events as e
    anti join corrected_events as c on c.event_id = e.event_id)
),
labels as (
    (select f.event_id, f.correct
    from raw.feedback as f
    semi join corrected_labels as c on c.event_id = f.event_id
    left join raw.loads as l on l.load_id = f._load_id
    qualify row_number() over (
        partition by f.event_id order by l.started_at desc, f._load_id desc, f._row_number desc
    ) = 1)
    union all
    (select f.event_id, f.correct
    from raw.feedback as f
    anti join corrected_labels as c on c.event_id = f.event_id)
)
select
    e.week_start,
    e.model_version,
    e.segment,
    count(*)::double as events,
    quantile_cont(e.latency_ms, 0.5) as latency_p50,
    quantile_cont(e.latency_ms, 0.95) as latency_p95,
    quantile_cont(e.latency_ms, 0.99) as latency_p99,
    avg(e.confidence) as mean_confidence,
    avg(e.tokens) as tokens_per_event,
    sum(e.cost_usd)::double as cost_usd,
    count_if(f.correct)::double as accuracy_numerator,
    count(f.correct)::double as accuracy_denominator
from events as e
left join labels as f on f.event_id = e.event_id
group by grouping sets ((e.week_start, e.model_version, e.segment), (e.week_start))
