-- One row per raw table: its newest load (when, status, rows in / accepted / quarantined).
select
    table_name,
    finished_at,
    status,
    rows_in,
    rows_accepted,
    rows_quarantined,
    loaded_by
from raw.loads
qualify row_number() over (partition by table_name order by finished_at desc, load_id desc) = 1
order by table_name
