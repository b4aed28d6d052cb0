/* ---
name: weeks
description: The reporting calendar, from the week of the first AI event to the week of the build. A week is partial while it has not ended at build time (as_of), complete otherwise.
grain: One row per reporting week.
kind: staging
--- */
with bounds as (
    select
        min(week_start) as first_week,
        week_of(setting('as_of')::timestamp) as current_week
    from staging.ai_events
),

calendar as (
    select unnest(generate_series(first_week, current_week, interval 7 day))::date as week_start
    from bounds
    where first_week is not null
)

select
    week_start,
    (week_start + 6) as week_end,
    local_ts(setting('as_of')::timestamp) < (week_start + 7)::timestamp as is_partial,
    row_number() over (order by week_start) as week_number
from calendar
