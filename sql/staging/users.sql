/* ---
name: users
description: People who may use the AI system, with the dates they are eligible (newest version per user).
grain: One row per user_id.
kind: staging
--- */
with versions as (
    select
        u.*,
        row_number() over (
            partition by u.user_id
            order by l.started_at desc, u._load_id desc, u._row_number desc
        ) as version_rank
    from raw.users as u
    left join raw.loads as l
        on l.load_id = u._load_id
)

select
    user_id,
    team,
    eligible_from,
    eligible_to,
    _load_id as load_id
from versions
where version_rank = 1
