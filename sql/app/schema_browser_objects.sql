-- One row per definition the build ran (staging view, metric, ROI line): its name, kind and
-- SQL file, for the descriptions of their headers.
select
    name,
    kind,
    path
from main.build_objects
