-- One row per ROI line with weeks from $start to $end: its title, category, number of weeks
-- and total amount (the waterfall and the lines table; benefits first, then costs).
select
    line_id,
    any_value(title) as title,
    any_value(category) as category,
    count(*) as weeks,
    sum(amount) as amount
from main.roi_ledger
where week_start between $start and $end
group by line_id
order by
    case any_value(category) when 'benefit' then 0 when 'cost' then 1 else 2 end,
    line_id
