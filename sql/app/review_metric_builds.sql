-- One row per metric of this build: its build status and error.
select
    name,
    status as build_status,
    error
from main.build_objects
where kind = 'metric'
