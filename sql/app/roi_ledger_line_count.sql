-- One row: how many ROI lines the ledger holds.
select count(distinct line_id) as lines
from main.roi_ledger
