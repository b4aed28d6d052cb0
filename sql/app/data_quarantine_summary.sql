-- One row per raw table, rule and column: how many rows the quarantine holds, most first.
select
    table_name as "table",
    rule,
    column_name as "column",
    count(*) as rows
from raw.quarantine
group by all
order by rows desc, "table", rule
