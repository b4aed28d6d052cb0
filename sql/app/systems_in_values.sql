-- One row per AI system that has a system total in the metric values (dimensions
-- '{"system":"x"}'), by name: the systems the filter offers when there is no register.
select distinct json_extract_string(dimensions, '$.system') as system
from main.metric_values
where json_extract_string(dimensions, '$.system') is not null
order by system
