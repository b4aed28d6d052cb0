-- One row per header test of this build: the definition it checks, the test and its result.
select
    name,
    test,
    status,
    message
from main.build_tests
