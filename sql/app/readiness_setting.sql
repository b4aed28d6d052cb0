-- One row (or none): the build setting $key as text (e.g. label_coverage_floor).
select value
from main.build_settings
where key = $key
