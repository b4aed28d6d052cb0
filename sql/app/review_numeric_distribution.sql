-- One row per sample and bin of numeric feature $feature: 'reference' is the weeks from
-- $reference_start to $reference_end, 'current' the week $week (a current week inside the
-- reference window counts in both, as the drift metrics do). The bins are cut by the
-- reference's deciles (duplicate edges removed, a value equal to an edge in the bin above);
-- bin_order is the number of edges at or below the value; every row carries the edges.
with samples as (
    select
        'reference' as sample,
        value_num as x
    from staging.ai_features
    where feature = $feature
        and value_num is not null
        and week_start between $reference_start and $reference_end
        and isfinite(value_num)
    union all
    select
        'current' as sample,
        value_num as x
    from staging.ai_features
    where feature = $feature
        and value_num is not null
        and week_start = $week
        and isfinite(value_num)
),

reference_edges as (
    select
        coalesce(
            list_sort(list_distinct(quantile_cont(x, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]))),
            []::double[]
        ) as edges
    from samples
    where sample = 'reference'
)

select
    s.sample,
    len(list_filter(e.edges, lambda edge: s.x >= edge)) as bin_order,
    count(*) as rows,
    e.edges
from samples as s
cross join reference_edges as e
group by all
