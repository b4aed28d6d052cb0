-- One row per AI system of the register (staging.systems): the version in force on $day
-- (stage, owner, rollback target, production volume, inference budget, freshness SLA, note)
-- and the day its current stage began (the first version of its latest run of that stage).
with versions as (
    select *
    from staging.systems
    where effective_from <= $day
),

current_version as (
    select *
    from versions
    qualify row_number() over (partition by system order by effective_from desc) = 1
),

stage_start as (
    select
        c.system,
        min(v.effective_from) as stage_since
    from current_version as c
    inner join versions as v
        on v.system = c.system
        and v.stage = c.stage
        and v.effective_from > coalesce((
            select max(w.effective_from)
            from versions as w
            where w.system = c.system and w.stage <> c.stage
        ), date '0001-01-01')
    group by c.system
)

select
    c.system,
    c.stage,
    s.stage_since,
    c.owner,
    c.rollback_target,
    c.production_events_per_week,
    c.inference_budget_per_week,
    c.freshness_sla_hours,
    c.note
from current_version as c
left join stage_start as s
    on s.system = c.system
order by c.system
