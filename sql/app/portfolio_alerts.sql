-- One row per warn / alert the build wrote for week $week: its metric, dimensions, level and
-- the AI system named in its dimensions (null = a company-wide alert).
select
    metric,
    week_start,
    dimensions,
    level,
    json_extract_string(dimensions, '$.system') as system
from main.alerts
where week_start = $week
order by system, metric, dimensions
