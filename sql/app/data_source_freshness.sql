-- One row per source table of the raw store, in contract order: its rows and the time of its
-- newest row by the column that dates it (null for ai_features, which no column dates).
-- watched: an event source, whose newest row going stale is a problem (reference tables
-- such as users, assumptions or the systems register change rarely).
select 1 as position, 'ai_events' as source, true as watched, true as dated,
    count(*) as rows, max(occurred_at)::timestamp as newest_row
from raw.ai_events
union all
select 2, 'ai_features', false, false, count(*), null::timestamp
from raw.ai_features
union all
select 3, 'feedback', true, true, count(*), max(labeled_at)::timestamp
from raw.feedback
union all
select 4, 'work_items', true, true, count(*), max(coalesce(closed_at, opened_at))::timestamp
from raw.work_items
union all
select 5, 'users', false, true, count(*), max(eligible_from)::timestamp
from raw.users
union all
select 6, 'costs', false, true, count(*), max(period_end)::timestamp
from raw.costs
union all
select 7, 'incidents', false, true, count(*), max(detected_at)::timestamp
from raw.incidents
union all
select 8, 'assumptions', false, true, count(*), max(effective_from)::timestamp
from raw.assumptions
union all
select 9, 'systems', false, true, count(*), max(effective_from)::timestamp
from raw.systems
order by position
