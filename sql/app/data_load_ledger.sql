-- One row per load of the raw store, newest first: file, table, rows in / accepted /
-- quarantined / skipped / corrected, status, when and by whom.
select
    load_id,
    table_name as "table",
    regexp_extract(source_file, '[^/]+$') as file,
    status,
    rows_in,
    rows_accepted,
    rows_quarantined,
    -- computed, not read: a snapshot built before raw.loads had rows_skipped still shows it
    rows_in - rows_accepted - rows_quarantined as rows_skipped,
    rows_corrected,
    finished_at as loaded_at,
    loaded_by,
    message,
    source_file
from raw.loads
order by started_at desc, load_id desc
