-- One row per table or rule present in the quarantine (filter = 'table' / 'rule'), sorted.
select distinct
    'table' as filter,
    table_name as value
from raw.quarantine
union all
select distinct
    'rule' as filter,
    rule as value
from raw.quarantine
order by filter, value
