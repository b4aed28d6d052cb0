-- One row per ROI line and ledger week from $start to $end: the ledger the CSV and the
-- workbook downloads hold (amounts exact, 10 decimal places).
select
    week_start,
    line_id,
    category,
    title,
    formula,
    formula_filled,
    inputs,
    amount,
    currency
from main.roi_ledger
where week_start between $start and $end
order by week_start, line_id
