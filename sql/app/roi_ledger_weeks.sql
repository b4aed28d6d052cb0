-- One row per ledger week (week_start) from $start to $end (null: open), oldest first.
select distinct week_start
from main.roi_ledger
where ($start is null or week_start >= $start)
    and ($end is null or week_start <= $end)
order by week_start
