/* ---
name: system_weeks
description: >
  The reporting weeks of each AI system from its go-live (the week of its first AI event):
  week_number 1 is that week. The ROI line build_amortisation writes a system's build cost off
  from its go-live.
grain: One row per AI system and reporting week from the system's first AI event.
kind: staging
--- */
with go_live as (
    select
        system,
        min(week_start) as first_week
    from staging.ai_events
    where system is not null
    group by system
)

select
    w.week_start,
    g.system,
    -- staging.weeks holds every week from the first event on, so the n-th is week n
    row_number() over (partition by g.system order by w.week_start) as week_number
from staging.weeks as w
inner join go_live as g
    on g.first_week <= w.week_start
