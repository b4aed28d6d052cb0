-- The floor for drift: hand-written SQL over the raw tables (the newest version per event and
-- feature and per event, as staging does, ranking only the keys a correcting load touched),
-- the same input the product's drift reads through staging. Per AI system: a feature is
-- keyed system || '/' || feature, the product's (system, feature). Fixed reference = the first
-- drift.reference_weeks complete weeks (of the staging.weeks calendar) from each feature's
-- first week. Numeric: PSI over reference deciles (epsilon 0.0001) and the exact two-sample
-- KS statistic; categorical: PSI over the union of categories.
-- One statement (or one per AI system, the same rows); checked against metrics.drift_numeric
-- (psi, ks_statistic) and metrics.drift_categorical (psi).
with corrected_events as materialized (
    select distinct event_id from raw.ai_events
    where _load_id in (select load_id from raw.loads where rows_corrected > 0)
        and coalesce(_correction, true)
),
corrected_features as materialized (
    select distinct event_id, feature from raw.ai_features
    where _load_id in (select load_id from raw.loads where rows_corrected > 0)
        and coalesce(_correction, true)
),
events as (
    (select e.event_id, week_of(e.occurred_at) as week_start, e.system
    from raw.ai_events as e
    semi join corrected_events as c on c.event_id = e.event_id
    left join raw.loads as l on l.load_id = e._load_id
    qualify row_number() over (
        partition by e.event_id order by l.started_at desc, e._load_id desc, e._row_number desc
    ) = 1)
    union all
    (select e.event_id, week_of(e.occurred_at), e.system
    from raw.ai_events as e
    anti join corrected_events as c on c.event_id = e.event_id)
),
-- one AI system's events when the variable floor_system is set (floor.run_per_system, the
-- 100M run: one statement for every system spills more than the disk holds), else all
system_events as (
    select * from events
    where getvariable('floor_system') is null or system = getvariable('floor_system')
),
features as (
    (select f.event_id, f.feature, f.value_num, f.value_cat
    from raw.ai_features as f
    semi join corrected_features as c on c.event_id = f.event_id and c.feature = f.feature
    left join raw.loads as l on l.load_id = f._load_id
    qualify row_number() over (
        partition by f.event_id, f.feature
        order by l.started_at desc, f._load_id desc, f._row_number desc
    ) = 1)
    union all
    (select f.event_id, f.feature, f.value_num, f.value_cat
    from raw.ai_features as f
    anti join corrected_features as c on c.event_id = f.event_id and c.feature = f.feature)
),
points as materialized (
    select e.system || '/' || f.feature as feature, e.week_start, f.value_num as v,
        f.value_cat as k, count(*)::bigint as c
    from features as f
    inner join system_events as e on e.event_id = f.event_id
    where (f.value_num is not null and isfinite(f.value_num)) or f.value_cat is not null
    group by all
),
reference_weeks as materialized (
    select f.feature, w.week_start
    from (select feature, min(week_start) as first_week from points group by 1) as f
    inner join staging.weeks as w on w.week_start >= f.first_week and not w.is_partial
    qualify row_number() over (partition by f.feature order by w.week_start)
        <= setting('drift.reference_weeks')::int
),
reference as materialized (
    select p.feature, p.v, p.k, sum(p.c)::bigint as c
    from points as p
    semi join reference_weeks as r on r.feature = p.feature and r.week_start = p.week_start
    group by all
),
-- reference deciles from the reference points, each value repeated by its count
edges as materialized (
    select feature, list_distinct(list_sort(quantile_cont(v, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]))) as e
    from (select feature, v, unnest(range(c)) from reference where v is not null)
    group by feature
),
tests as materialized (
    select feature, week_start, sum(c) as n from points group by all
),
ref_n as (select feature, sum(c) as n from reference group by 1),
-- numeric PSI: bins by the number of edges <= value
binned as (
    select p.feature, p.week_start, len(list_filter(e.e, lambda x: p.v >= x)) as bin, sum(p.c) as c
    from points as p inner join edges as e on e.feature = p.feature
    where p.v is not null group by all
),
ref_binned as (
    select r.feature, len(list_filter(e.e, lambda x: r.v >= x)) as bin, sum(r.c) as c
    from reference as r inner join edges as e on e.feature = r.feature
    where r.v is not null group by all
),
all_bins as (
    select t.feature, t.week_start, t.n, b.bin
    from tests as t inner join edges as e on e.feature = t.feature
    cross join lateral (select unnest(range(len(e.e) + 1)) as bin) as b
),
numeric_psi as (
    select a.feature, a.week_start,
        sum((greatest(coalesce(c.c, 0) / a.n, 0.0001) - greatest(coalesce(r.c, 0) / rn.n, 0.0001))
            * ln(greatest(coalesce(c.c, 0) / a.n, 0.0001) / greatest(coalesce(r.c, 0) / rn.n, 0.0001))) as psi
    from all_bins as a
    inner join ref_n as rn on rn.feature = a.feature
    left join binned as c on c.feature = a.feature and c.week_start = a.week_start and c.bin = a.bin
    left join ref_binned as r on r.feature = a.feature and r.bin = a.bin
    group by all
),
-- exact KS: both CDFs at every value of either sample (RANGE frame: ties together)
ks_points as (
    select p.feature, p.week_start, p.v, p.c as cur, 0::bigint as ref
    from points as p where p.v is not null
    union all
    select t.feature, t.week_start, r.v, 0, r.c
    from reference as r inner join tests as t on t.feature = r.feature
    where r.v is not null
),
ks as (
    select feature, week_start, max(abs(fr - fc)) as ks_statistic
    from (
        select k.feature, k.week_start,
            sum(k.ref) over w / rn.n as fr,
            sum(k.cur) over w / t.n as fc
        from ks_points as k
        inner join ref_n as rn on rn.feature = k.feature
        inner join tests as t on t.feature = k.feature and t.week_start = k.week_start
        window w as (partition by k.feature, k.week_start order by k.v
            range between unbounded preceding and current row)
    ) group by all
),
-- categorical PSI: every category of the reference or the current week
categories as (
    select feature, week_start, k from points where k is not null
    union
    select t.feature, t.week_start, r.k from reference as r
    inner join tests as t on t.feature = r.feature where r.k is not null
),
categorical_psi as (
    select a.feature, a.week_start,
        sum((greatest(coalesce(c.c, 0) / t.n, 0.0001) - greatest(coalesce(r.c, 0) / rn.n, 0.0001))
            * ln(greatest(coalesce(c.c, 0) / t.n, 0.0001) / greatest(coalesce(r.c, 0) / rn.n, 0.0001))) as psi
    from categories as a
    inner join tests as t on t.feature = a.feature and t.week_start = a.week_start
    inner join ref_n as rn on rn.feature = a.feature
    left join points as c on c.feature = a.feature and c.week_start = a.week_start and c.k = a.k
    left join reference as r on r.feature = a.feature and r.k = a.k
    group by all
)
select 'numeric' as kind, n.feature, n.week_start, n.psi, k.ks_statistic
from numeric_psi as n inner join ks as k on k.feature = n.feature and k.week_start = n.week_start
union all
select 'categorical', feature, week_start, psi, null from categorical_psi
