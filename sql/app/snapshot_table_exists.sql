-- One row: 1 when the snapshot holds table $schema.$name, else 0.
select count(*) as tables
from information_schema.tables
where table_schema = $schema
    and table_name = $name
