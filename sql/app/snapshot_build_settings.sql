-- One row per setting the snapshot was built with (as_of, freshness_hours ...).
select
    key,
    value
from main.build_settings
