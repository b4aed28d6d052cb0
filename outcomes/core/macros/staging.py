"""Macros of the staging definitions: the newest loaded version of each key."""

from __future__ import annotations

from outcomes.core.macros.definition import Macro

LOADS = "raw.loads"

# The rows of CTE `rows` (a raw table's columns plus version_key, the key), one per key: the
# version of the latest load (raw.loads.started_at), then the latest load id and row number.
NEWEST_VERSIONS = Macro(
    "newest_versions",
    f"rows, loads := '{LOADS}'",
    """
select r.*
from query_table(rows) as r
left join query_table(loads) as l
    on l.load_id = r._load_id
qualify row_number() over (
    partition by r.version_key
    order by l.started_at desc, r._load_id desc, r._row_number desc
) = 1""",
    table=True,
    reads=(LOADS,),
)
