-- One row per metric named in $names: the SQL text the snapshot was built with.
select
    name,
    sql
from main.metric_definitions
where schema = 'metrics'
    and list_contains($names, name)
