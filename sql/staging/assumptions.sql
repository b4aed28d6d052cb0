/* ---
name: assumptions
description: >
  The assumptions register, effective-dated, merged from three origins (metrics/assumptions.py):
  rows ingested into raw.assumptions (origin ingest), the version-controlled register file
  (origin file, load id register-file-<sha>) and changes made with `outcomes assumptions set`
  (origin cli, load id register-cli-<change id>); the build appends the last two to the
  snapshot's raw.assumptions and describes them (who, when, why, file line) in
  raw.assumption_register. For one key and effective_from a CLI change beats the file, which
  beats an ingested row; within one origin the newest wins (CLI: the latest change; ingest: the
  newest load). A value holds from effective_from until the day before the next version of the
  same key and system (effective_to is null for the one in force). system is null for the
  company-wide value; a row with a system overrides it for that system (macro
  assumption_for).
grain: One row per assumption key, system (null = company-wide) and effective_from.
kind: staging
--- */
with versions as (
    select
        a.*,
        case
            when a._load_id like 'register-cli-%' then 'cli'
            when a._load_id like 'register-file-%' then 'file'
            else 'ingest'
        end as origin,
        l.started_at as load_started_at
    from raw.assumptions as a
    left join raw.loads as l
        on l.load_id = a._load_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by key, system, effective_from
            order by
                case origin when 'cli' then 2 when 'file' then 1 else 0 end desc,
                load_started_at desc nulls last,
                _load_id desc,
                _row_number desc
        ) as version_rank
    from versions
),

current_versions as (
    select *
    from ranked
    where version_rank = 1
)

select
    key,
    system,
    effective_from,
    lead(effective_from) over (partition by key, system order by effective_from) - 1 as effective_to,
    value,
    unit,
    owner,
    source,
    note,
    low,
    high,
    _load_id as load_id,
    origin
from current_versions
