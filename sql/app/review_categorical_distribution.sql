-- One row per sample and category of categorical feature $feature: 'reference' is the weeks
-- from $reference_start to $reference_end, 'current' the week $week (a current week inside
-- the reference window counts in both, as the drift metrics do), with its rows.
with samples as (
    select
        'reference' as sample,
        value_cat
    from staging.ai_features
    where feature = $feature
        and value_cat is not null
        and week_start between $reference_start and $reference_end
    union all
    select
        'current' as sample,
        value_cat
    from staging.ai_features
    where feature = $feature
        and value_cat is not null
        and week_start = $week
)

select
    sample,
    value_cat,
    count(*) as rows
from samples
group by all
