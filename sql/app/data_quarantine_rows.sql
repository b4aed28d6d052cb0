-- One row per quarantined row of table $table, rule $rule and load $load_id (null: any), at
-- most $limit, by load and row number: the reason and every raw value as the file had it.
select
    table_name as "table",
    regexp_extract(source_file, '[^/]+$') as file,
    row_number,
    column_name as "column",
    rule,
    reason,
    raw_values::varchar as raw_values,
    failures::varchar as failures,
    load_id
from raw.quarantine
where ($table is null or table_name = $table)
    and ($rule is null or rule = $rule)
    and ($load_id is null or load_id = $load_id)
order by load_id, row_number
limit $limit
