-- One row per AI event of the week $week (of AI system $system; null = every system) in a
-- reproducible sample of $n: events ordered by md5($seed || ':' || event_id), with their
-- inputs (features as name=value text).
with sample as (
    select
        event_id,
        occurred_at,
        system,
        model_version,
        segment,
        action_tier,
        prediction,
        confidence
    from staging.ai_events
    where week_start = $week
        and ($system is null or system = $system)
    order by md5($seed || ':' || event_id), event_id
    limit $n
),

inputs as (
    select
        f.event_id,
        string_agg(
            f.feature || '=' || coalesce(f.value_cat, cast(round(f.value_num, 4) as varchar)),
            ', ' order by f.feature
        ) as inputs
    from staging.ai_features as f
    where f.event_id in (select event_id from sample)
    group by f.event_id
)

select
    s.*,
    coalesce(i.inputs, '') as inputs
from sample as s
left join inputs as i
    on i.event_id = s.event_id
order by md5($seed || ':' || s.event_id), s.event_id
