-- One row: the id of the build that made the snapshot (none before the first build).
select build_id
from main.build_manifest
limit 1
