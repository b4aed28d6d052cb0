-- One row per column of every table and view of the snapshot an analyst can query in the
-- workbench: schema, table, column, type, position (the staging_data tables behind the
-- staging views are left out: the views are the interface).
select
    c.table_schema as schema_name,
    c.table_name,
    c.column_name,
    c.data_type,
    c.ordinal_position
from information_schema.columns as c
where c.table_catalog = current_database()
    and c.table_schema in ('raw', 'staging', 'metrics', 'roi', 'main')
order by c.table_schema, c.table_name, c.ordinal_position
