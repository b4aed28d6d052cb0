-- One row (or none): how metric $name fared in this build (status, error, rows, time).
select
    status,
    error,
    rows,
    duration_ms
from main.build_objects
where kind = 'metric'
    and name = $name
