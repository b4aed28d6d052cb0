-- One row per ROI line named in $names: the SQL text the snapshot was built with.
select
    name,
    sql
from main.roi_sql
where list_contains($names, name)
