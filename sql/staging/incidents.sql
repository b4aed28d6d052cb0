/* ---
name: incidents
description: Incidents (newest version per incident_id) with the week they were detected in and the minutes to detect and to resolve them; system is the AI system it affected, null when not attributed.
grain: One row per incident_id.
kind: staging
--- */
with loaded as (
    select
        *,
        incident_id as version_key
    from raw.incidents
)

select
    incident_id,
    started_at,
    detected_at,
    resolved_at,
    week_of(detected_at) as week_start,
    severity,
    cause,
    system,
    date_diff('second', started_at, detected_at) / 60.0 as minutes_to_detect,
    date_diff('second', detected_at, resolved_at) / 60.0 as minutes_to_resolve,
    _load_id as load_id
from newest_versions('loaded')
