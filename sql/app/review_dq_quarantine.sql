-- One row per raw table and rule: rows quarantined by the loads started in week $week and by
-- every load of the snapshot, with an example reason; most first.
select
    q.table_name,
    q.rule,
    count_if(week_of(l.started_at) = $week)::bigint as rows_this_week,
    count(*)::bigint as rows_all_loads,
    min(q.reason) as example_reason
from raw.quarantine as q
left join raw.loads as l
    on l.load_id = q.load_id
group by q.table_name, q.rule
order by rows_all_loads desc, q.table_name, q.rule
