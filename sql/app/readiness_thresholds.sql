-- One row per drift metric with values for AI system $system and per data-quality metric:
-- whether its header sets thresholds (warn or alert), whether it has a value in week $week
-- for the system (drift) or for any source (quality: the checks ran on it), and the alerts
-- the build raised on it for the system in the 4 weeks up to $week.
with drift as (
    select distinct metric
    from main.metric_values
    where json_extract_string(dimensions, '$.system') = $system
        and metric in (select name from main.metric_definitions where kind = 'drift')
),

quality as (
    select name as metric
    from main.metric_definitions
    where kind = 'quality'
),

candidates as (
    select metric, 'drift' as kind from drift
    union all
    select metric, 'quality' as kind from quality
),

evaluated as (
    select
        metric,
        count(*) filter (
            where json_extract_string(dimensions, '$.system') = $system
        ) as system_rows,
        count(*) as rows
    from main.metric_values
    where week_start = $week
    group by metric
),

raised as (
    select
        metric,
        count(*) as alerts
    from main.alerts
    where week_start between $week - interval 21 day and $week
        and (
            json_extract_string(dimensions, '$.system') = $system
            or json_extract_string(dimensions, '$.system') is null
        )
    group by metric
)

select
    c.metric,
    c.kind,
    d.thresholds is not null
        and (
            json_extract(d.thresholds, '$.warn') is not null
            and json_extract(d.thresholds, '$.warn')::varchar <> 'null'
            or json_extract(d.thresholds, '$.alert') is not null
            and json_extract(d.thresholds, '$.alert')::varchar <> 'null'
        ) as has_thresholds,
    case
        when c.kind = 'drift' then coalesce(e.system_rows, 0) > 0
        else coalesce(e.rows, 0) > 0
    end as evaluated,
    coalesce(r.alerts, 0) as alerts_4_weeks
from candidates as c
left join main.metric_definitions as d
    on d.name = c.metric
left join evaluated as e
    on e.metric = c.metric
left join raised as r
    on r.metric = c.metric
order by c.kind, c.metric
