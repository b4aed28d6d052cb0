-- One row per metric the build wrote to main.metric_definitions: its header fields.
select
    name,
    title,
    kind,
    unit,
    direction,
    owner,
    thresholds,
    description,
    dimensions
from main.metric_definitions
where schema = 'metrics'
order by name
