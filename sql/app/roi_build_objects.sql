-- One row per object of the build (staging view, metric, ROI line): its kind, status, error
-- and what it depends on, to name failed definitions and the ROI lines that read them.
select
    name,
    kind,
    status,
    error,
    depends_on
from main.build_objects
order by kind, name
