-- One row per metric of this build: status, error and rows written.
select
    name,
    status,
    error,
    rows
from main.build_objects
where kind = 'metric'
