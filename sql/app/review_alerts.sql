-- One row per warn / alert the build wrote (metric, week, dimensions, level ...).
select *
from main.alerts
