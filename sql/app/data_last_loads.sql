-- One row per raw table with a successful load: when its newest one finished.
select
    table_name,
    max(finished_at) as last_load
from raw.loads
where status = 'loaded'
group by 1
