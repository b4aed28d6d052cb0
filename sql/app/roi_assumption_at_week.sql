-- One row (or none): the version of assumption $key in force in week $week, with its owner.
select
    key,
    effective_from,
    value,
    unit,
    owner,
    source,
    note
from staging.assumptions
where key = $key
    and effective_from <= $week
order by effective_from desc
limit 1
