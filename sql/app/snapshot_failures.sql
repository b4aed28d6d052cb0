-- How many objects and header tests of the snapshot's build failed: one row.
select
    (select count(*) from main.build_objects where status <> 'ok') as failed_objects,
    (select count(*) from main.build_tests where status <> 'pass') as failed_tests
