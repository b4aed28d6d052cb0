-- The snapshot's newest build: one row (none before the first build).
select
    build_id,
    status,
    started_at,
    finished_at
from main.build_manifest
order by finished_at desc
limit 1
