/* ---
name: drift_numeric
title: Numeric feature drift (all statistics)
description: >
  Every numeric feature of every AI system (staging.ai_features rows with a finite
  value_num, with their event's system), every reporting week with at least one value,
  compared with a reference window of the same system. Per system only: there is no company
  row, a distribution pooled over systems means nothing (a feature of two systems with the
  same name is two features). Computed once here; the
  per-statistic metrics (drift_psi, drift_js_distance, drift_ks_pvalue, drift_wasserstein,
  drift_share) read this table and carry the thresholds.

  Reference: setting('drift.reference_mode') = 'fixed' takes the first
  setting('drift.reference_weeks') complete (not partial) calendar weeks starting at the
  first week of the system's feature (its first week of that system's data), the same for every week (those weeks are reported too, against a
  reference that contains them); 'trailing' takes the reference_weeks calendar weeks just
  before the week tested (a week without earlier data has n_reference = 0).

  value = psi = sum over bins of (c - r) * ln(c / r), where r and c are the reference and
  current shares of the bin, each clipped below at epsilon = 0.0001 (an empty bin counts as
  a share of 0.0001). Bins: the deciles of the reference (numpy quantile method 'linear' at
  0.1 .. 0.9), duplicate edges removed (ties), so up to 10 bins; a value equal to an edge
  goes to the bin above it (numpy searchsorted side='right').
  js_distance = sqrt of the Jensen-Shannon divergence, natural log, over the same bins,
  unclipped shares (as scipy.spatial.distance.jensenshannon, base e).
  ks_statistic = exact two-sample Kolmogorov-Smirnov statistic sup |F_ref - F_cur| (ties
  included; each current value is looked up in the sorted reference CDF with an ASOF join);
  ks_pvalue = two-sided asymptotic p-value, as scipy.stats.ks_2samp(method='asymp').
  wasserstein = exact 1-Wasserstein distance (integral of |F_ref - F_cur|, as
  scipy.stats.wasserstein_distance), computed from the integrated reference CDF with ASOF
  joins; wasserstein_norm = wasserstein / reference_std, the population standard deviation
  (ddof 0, np.std) of the reference; null when that is 0.

  flag: 'insufficient' when n_reference or n_current is below setting('drift.min_rows')
  (statistics still shown when both are above 0, never alerted); 'partial' for the
  unfinished current week.
grain: One row per reporting week, system and numeric feature that has a value in that week (no company row).
kind: drift
unit: score
direction: lower_is_better
dimensions: [system, feature]
tests:
  - not_null(week_start, system, feature, n_current, n_reference)
  - range(psi, 0, null)
  - range(js_distance, 0, 0.8326)
  - range(ks_statistic, 0, 1)
  - range(ks_pvalue, 0, 1)
  - range(wasserstein_norm, 0, null)
  - accepted_values(flag, ['insufficient', 'partial'])
tags: [drift_reference]
--- */
-- every finite value counted per feature, week and distinct value (staging.feature_value_counts
-- counts them once per build and week: measured features repeat their values, so the windows
-- below see thousands of rows per week instead of every event's)
with week_counts as materialized (
    select
        system,
        feature,
        week_start,
        value_num as value,
        sum(cnt)::bigint as cnt
    from staging.feature_value_counts
    where value_num is not null
        and isfinite(value_num)
    group by system, feature, week_start, value_num
),

feature_weeks as (
    select
        system,
        feature,
        week_start,
        sum(cnt)::bigint as n_current
    from week_counts
    group by system, feature, week_start
),

tests as materialized (
    select * from drift_tests('feature_weeks')
),

reference_points as materialized (
    select * from drift_reference_counts('tests', 'week_counts')
),

reference_cdf as materialized (
    select
        window_id,
        value,
        cnt,
        sum(cnt) over (
            partition by window_id order by value
            rows between unbounded preceding and current row
        )::bigint as cum_le,
        sum(cnt) over (partition by window_id)::bigint as n_reference,
        lead(value) over (partition by window_id order by value) as next_value
    from reference_points
),

-- g = integral of the reference CDF from -infinity up to value (exact Wasserstein)
reference_curve as materialized (
    select
        window_id,
        value,
        cnt,
        cum_le,
        n_reference,
        next_value,
        coalesce(sum(cum_le / n_reference * (next_value - value)) over (
            partition by window_id order by value
            rows between unbounded preceding and 1 preceding
        ), 0) as g
    from reference_cdf
),

-- the sorted reference sample, one row per value (0-based position idx): order statistics
-- by equality join instead of a search
reference_order as materialized (
    select
        window_id,
        unnest(range(cum_le - cnt, cum_le)) as idx,
        value,
        g
    from reference_curve
),

reference_means as materialized (
    select
        window_id,
        sum(cnt)::bigint as n_reference,
        sum(cnt * value) / sum(cnt) as mean_value
    from reference_points
    group by window_id
),

-- two-pass population standard deviation, as np.std; last value and g there for the tail
reference_stats as materialized (
    select
        m.window_id,
        m.n_reference,
        sqrt(sum(p.cnt * (p.value - m.mean_value) ^ 2) / m.n_reference) as reference_std,
        max(p.value) as last_value
    from reference_means as m
    inner join reference_points as p
        on p.window_id = m.window_id
    group by m.window_id, m.n_reference
),

reference_ends as (
    select
        s.window_id,
        s.n_reference,
        s.reference_std,
        s.last_value,
        c.g as g_last
    from reference_stats as s
    inner join reference_curve as c
        on c.window_id = s.window_id
        and c.next_value is null
),

-- decile edges as numpy.quantile(method='linear'): virtual index h = (n - 1) * q, the order
-- statistics x[floor(h)] and x[min(floor(h) + 1, n - 1)], numpy's two-sided linear
-- interpolation between them
edge_positions as (
    select
        s.window_id,
        s.n_reference,
        q.decile,
        floor((s.n_reference - 1) * (q.decile / 10))::bigint as lo
    from reference_stats as s
    cross join range(1, 10) as q(decile)
),

edge_values as (
    select
        e.window_id,
        e.decile,
        e.n_reference,
        a.value as a,
        b.value as b
    from edge_positions as e
    inner join reference_order as a
        on a.window_id = e.window_id
        and a.idx = e.lo
    inner join reference_order as b
        on b.window_id = e.window_id
        and b.idx = least(e.lo + 1, e.n_reference - 1)
),

edge_lists as (
    select
        window_id,
        list(distinct edge order by edge) as edge_list
    from (
        select
            window_id,
            case
                when gamma >= 0.5 then b - (b - a) * (1 - gamma)
                else a + (b - a) * gamma
            end as edge
        from (
            select
                window_id,
                a,
                b,
                (n_reference - 1) * (decile / 10) - floor((n_reference - 1) * (decile / 10)) as gamma
            from edge_values
        ) as positions
    ) as interpolated
    group by window_id
),

edges as materialized (
    select
        window_id,
        len(edge_list) + 1 as bins,
        edge_list[1] as e1,
        edge_list[2] as e2,
        edge_list[3] as e3,
        edge_list[4] as e4,
        edge_list[5] as e5,
        edge_list[6] as e6,
        edge_list[7] as e7,
        edge_list[8] as e8,
        edge_list[9] as e9
    from edge_lists
),

reference_bins as (
    select
        p.window_id,
        drift_bin(p.value, e.e1, e.e2, e.e3, e.e4, e.e5, e.e6, e.e7, e.e8, e.e9) as bin,
        sum(p.cnt)::bigint as cnt
    from reference_points as p
    inner join edges as e
        on e.window_id = p.window_id
    group by all
),

-- each test with its window's reference: size, spread, tail and bin edges
tested as materialized (
    select
        t.*,
        coalesce(r.n_reference, 0) as n_reference,
        r.reference_std,
        r.last_value,
        r.g_last,
        e.bins,
        e.e1,
        e.e2,
        e.e3,
        e.e4,
        e.e5,
        e.e6,
        e.e7,
        e.e8,
        e.e9
    from tests as t
    left join reference_ends as r
        on r.window_id = t.window_id
    left join edges as e
        on e.window_id = t.window_id
),

-- per distinct value of the week tested: its count, the week's CDF count at it (values <= it)
-- and the next larger value of the week
current_points as (
    select
        test_id,
        window_id,
        value,
        cnt,
        sum(cnt) over (
            partition by test_id order by value
            rows between unbounded preceding and current row
        )::bigint as cum_le,
        lead(value) over (partition by test_id order by value) as next_value
    from drift_current_counts('tested', 'week_counts')
),

-- the reference CDF at each current value (ASOF join on the sorted reference): counts <=
-- and < it, and the integrated reference CDF g at it
current_lookup as (
    select
        c.test_id,
        c.window_id,
        c.value,
        c.cnt,
        c.cum_le,
        c.next_value,
        coalesce(r.cum_le, 0) as ref_le,
        coalesce(r.cum_le - case when r.value = c.value then r.cnt else 0 end, 0) as ref_lt,
        coalesce(r.g + r.cum_le / r.n_reference * (c.value - r.value), 0) as g_at_value
    from current_points as c
    asof left join reference_curve as r
        on r.window_id = c.window_id
        and c.value >= r.value
),

-- plus the bin of each current value, and the first reference value where F_ref exceeds
-- k = the current CDF at it: the reference order statistic at position
-- floor(k * n_reference) (F_ref - F_cur may turn positive there before the next value)
current_vs_reference as (
    select
        c.test_id,
        t.n_current,
        t.n_reference,
        t.last_value,
        t.g_last,
        c.value,
        c.next_value,
        c.cnt,
        c.cum_le,
        c.ref_le,
        c.ref_lt,
        c.g_at_value,
        drift_bin(c.value, t.e1, t.e2, t.e3, t.e4, t.e5, t.e6, t.e7, t.e8, t.e9) as bin,
        x.value as cross_value,
        x.g as g_at_cross
    from current_lookup as c
    inner join tested as t
        on t.test_id = c.test_id
    left join reference_order as x
        on x.window_id = c.window_id
        and x.idx = floor(c.cum_le * t.n_reference / t.n_current)::bigint
),

-- KS: sup |F_ref - F_cur| is reached at a current value or just before it.
-- Wasserstein = integral of |F_ref - F_cur|: before the first current value it is g there;
-- on [value, next_value) F_cur is the constant k = cum_le / n_current and F_ref <= k before
-- the crossing value s, > k after it, so the piece is
-- k (s - value) - (g(s) - g(value)) + (g(next_value) - g(s)) - k (next_value - s);
-- the g(next_value) part is added by the next row (+1, or -1 when F_ref stays <= k up to
-- it, i.e. s is past it), so no row needs its neighbour; after the last current value,
-- 1 - F_ref up to the last reference value.
point_terms as (
    select
        test_id,
        greatest(
            abs(ref_le / n_reference - cum_le / n_current),
            abs(ref_lt / n_reference - (cum_le - cnt) / n_current)
        ) as ks_term,
        case
            when cum_le = cnt then g_at_value
            when ref_le * n_current <= (cum_le - cnt) * n_reference then -g_at_value
            else g_at_value
        end
        + case
            when next_value is null then 0
            when cross_value is null or cross_value > next_value
                then cum_le / n_current * (next_value - value) + g_at_value
            when cross_value < value
                then -cum_le / n_current * (next_value - value) - g_at_value
            else
                cum_le / n_current * (2 * cross_value - value - next_value)
                - 2 * g_at_cross + g_at_value
        end
        + case
            when next_value is null and last_value > value
                then (last_value - value) - (g_last - g_at_value)
            else 0
        end as w_term,
        bin,
        cnt
    from current_vs_reference
),

-- one pass per test: KS, Wasserstein and the current counts of the (at most 10) bins
distances as materialized (
    select
        test_id,
        max(ks_term) as ks_statistic,
        sum(w_term) as wasserstein,
        [
            sum(cnt) filter (where bin = 0), sum(cnt) filter (where bin = 1),
            sum(cnt) filter (where bin = 2), sum(cnt) filter (where bin = 3),
            sum(cnt) filter (where bin = 4), sum(cnt) filter (where bin = 5),
            sum(cnt) filter (where bin = 6), sum(cnt) filter (where bin = 7),
            sum(cnt) filter (where bin = 8), sum(cnt) filter (where bin = 9)
        ] as bin_counts
    from point_terms
    group by test_id
),

current_bins as (
    select
        test_id,
        bin,
        cnt
    from (
        select
            test_id,
            unnest(range(10)) as bin,
            unnest(bin_counts)::bigint as cnt
        from distances
    ) as unnested
    where cnt is not null
),

tested_reference_bins as (
    select
        t.test_id,
        b.bin,
        b.cnt
    from tested as t
    inner join reference_bins as b
        on b.window_id = t.window_id
),

bin_shares as (
    select
        t.test_id,
        coalesce(c.cnt, 0) / t.n_current as cur_share,
        coalesce(r.cnt, 0) / t.n_reference as ref_share
    from current_bins as c
    full outer join tested_reference_bins as r
        on r.test_id = c.test_id
        and r.bin = c.bin
    inner join tested as t
        on t.test_id = coalesce(c.test_id, r.test_id)
),

divergences as (
    select
        b.test_id,
        psi(b.cur_share, b.ref_share) as psi,
        js_distance(b.cur_share, b.ref_share) as js_distance
    from bin_shares as b
    group by b.test_id
)

select
    t.week_start,
    t.system,
    t.feature,
    d.psi as value,
    t.n_reference::double as n_reference,
    t.n_current::double as n_current,
    t.reference_start,
    t.reference_end,
    t.bins,
    d.psi,
    d.js_distance,
    k.ks_statistic,
    ks_pvalue(k.ks_statistic, t.n_reference, t.n_current) as ks_pvalue,
    k.wasserstein,
    t.reference_std,
    k.wasserstein / nullif(t.reference_std, 0) as wasserstein_norm,
    drift_flag(t.week_start, t.n_reference, t.n_current) as flag
from tested as t
left join divergences as d
    on d.test_id = t.test_id
left join distances as k
    on k.test_id = t.test_id
