/* ---
name: systems
description: >
  The register of AI systems (newest loaded version per system and effective_from): stage
  (pilot, production, retired), owner, rollback target, expected production volume, weekly
  inference budget (reporting currency) and data-freshness SLA. A version holds from
  effective_from until the day before the next version of the same system (effective_to is
  null for the one in force), so a stage change is a new row and the stage of any day is the
  version whose range covers it.
grain: One row per system and effective_from.
kind: staging
--- */
with loaded as (
    select
        *,
        system || '|' || effective_from::varchar as version_key
    from raw.systems
),

current_versions as (
    select *
    from newest_versions('loaded')
)

select
    system,
    effective_from,
    lead(effective_from) over (partition by system order by effective_from) - 1 as effective_to,
    stage,
    owner,
    rollback_target,
    production_events_per_week,
    inference_budget_per_week,
    freshness_sla_hours,
    note,
    _load_id as load_id
from current_versions
