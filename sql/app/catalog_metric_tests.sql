-- One row per header test of metric $name in this build, by test name.
select
    test,
    status,
    failing_rows,
    message
from main.build_tests
where name = $name
order by test
