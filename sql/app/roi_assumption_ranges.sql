-- One row per assumption version with a low / high range that starts by $end: the ranges
-- the ROI range by assumption (tornado) swings each assumption over.
select
    key,
    effective_from,
    value,
    low,
    high,
    unit,
    owner
from staging.assumptions
where low is not null
    and high is not null
    and effective_from <= $end
order by key, effective_from
