-- One row per AI system and ledger week up to $end (null = every week): its benefits and
-- costs (exact decimals), from the ROI ledger's per-system rows; the portfolio sums them.
select
    system,
    week_start,
    coalesce(sum(amount) filter (where category = 'benefit'), 0) as benefits,
    coalesce(sum(amount) filter (where category = 'cost'), 0) as costs
from main.roi_ledger
where $end is null or week_start <= $end
group by system, week_start
order by system, week_start
