-- One row per metric of this build: the SQL file it was built from.
select
    name,
    path
from main.build_objects
where kind = 'metric'
order by name
