/* ---
name: assumptions
description: The assumptions register, effective-dated. A value holds from effective_from until the day before the next version of the same key (effective_to is null for the one in force).
grain: One row per assumption key and effective_from.
kind: staging
--- */
with versions as (
    select
        a.*,
        row_number() over (
            partition by a.key, a.effective_from
            order by l.started_at desc, a._load_id desc, a._row_number desc
        ) as version_rank
    from raw.assumptions as a
    left join raw.loads as l
        on l.load_id = a._load_id
),

current_versions as (
    select *
    from versions
    where version_rank = 1
)

select
    key,
    effective_from,
    lead(effective_from) over (partition by key order by effective_from) - 1 as effective_to,
    value,
    unit,
    owner,
    source,
    note,
    low,
    high,
    _load_id as load_id
from current_versions
