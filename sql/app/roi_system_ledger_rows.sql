-- One row per ledger week and ROI line of AI system $system from $start to $end (either may
-- be null: open), the canonical ledger columns (amount exact, inputs as JSON text).
select
    week_start,
    line_id,
    category,
    title,
    formula,
    formula_filled,
    inputs::varchar as inputs,
    amount::varchar as amount,
    currency
from main.roi_ledger
where system = $system
    and ($start is null or week_start >= $start)
    and ($end is null or week_start <= $end)
order by week_start, line_id
