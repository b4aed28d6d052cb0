/* ---
name: users
description: People who may use the AI system, with the dates they are eligible (newest version per user).
grain: One row per user_id.
kind: staging
--- */
with loaded as (
    select
        *,
        user_id as version_key
    from raw.users
)

select
    user_id,
    team,
    eligible_from,
    eligible_to,
    _load_id as load_id
from newest_versions('loaded')
