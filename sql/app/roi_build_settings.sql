-- One row per setting the snapshot was built with (as_of, currency ...).
select
    key,
    value
from main.build_settings
