/* ---
name: drift_categorical
title: Categorical feature drift (all statistics)
description: >
  Every categorical feature of every AI system (staging.ai_features rows with a value_cat,
  with their event's system), every reporting week with at least one value, compared with a
  reference window of the same system. Per system only: no company row (see drift_numeric). Computed once here; the
  per-statistic metrics (drift_psi, drift_js_distance, drift_chi2_pvalue, drift_share) read
  this table and carry the thresholds.

  Reference: as drift_numeric. setting('drift.reference_mode') = 'fixed' takes the first
  setting('drift.reference_weeks') complete calendar weeks starting at the first week of
  the system's feature; 'trailing' takes the reference_weeks calendar weeks just before the week tested.

  Categories: every category seen in the reference or in the current week. A category unseen
  in the reference counts, it is not dropped: its reference share is 0, clipped to epsilon
  for PSI, 0 for Jensen-Shannon, and it is a column of the chi-square table.
  value = psi = sum over categories of (c - r) * ln(c / r), with the reference and current
  shares r and c clipped below at epsilon = 0.0001.
  js_distance = sqrt of the Jensen-Shannon divergence, natural log, unclipped shares (as
  scipy.spatial.distance.jensenshannon, base e).
  chi2_statistic, chi2_dof, chi2_pvalue: Pearson chi-square test of the 2 x K contingency
  table of reference and current counts (K = categories), without continuity correction,
  as scipy.stats.chi2_contingency(correction=False): expected = row total * column total /
  grand total, dof = K - 1; with one category dof = 0, statistic 0 and p-value 1.
  unseen_categories: categories of the current week absent from the reference;
  unseen_share: their share of the current week's rows.

  flag: 'insufficient' when n_reference or n_current is below setting('drift.min_rows')
  (statistics still shown when both are above 0, never alerted); 'partial' for the
  unfinished current week.
grain: One row per reporting week, system and categorical feature that has a value in that week (no company row).
kind: drift
unit: score
direction: lower_is_better
dimensions: [system, feature]
tests:
  - not_null(week_start, system, feature, n_current, n_reference)
  - range(psi, 0, null)
  - range(js_distance, 0, 0.8326)
  - range(chi2_pvalue, 0, 1)
  - accepted_values(flag, ['insufficient', 'partial'])
tags: [drift_reference]
--- */
with week_categories as materialized (
    select
        system,
        feature,
        week_start,
        value_cat as value,
        sum(cnt)::bigint as cnt
    from staging.feature_value_counts
    where value_cat is not null
    group by system, feature, week_start, value_cat
),

feature_weeks as (
    select
        system,
        feature,
        week_start,
        sum(cnt)::bigint as n_current
    from week_categories
    group by system, feature, week_start
),

tests as materialized (
    select * from drift_tests('feature_weeks')
),

reference_counts as materialized (
    select * from drift_reference_counts('tests', 'week_categories')
),

reference_totals as (
    select
        window_id,
        sum(cnt)::bigint as n_reference
    from reference_counts
    group by window_id
),

tested as materialized (
    select
        t.*,
        coalesce(r.n_reference, 0) as n_reference
    from tests as t
    left join reference_totals as r
        on r.window_id = t.window_id
),

current_counts as (
    select * from drift_current_counts('tested', 'week_categories')
),

tested_reference_counts as (
    select
        t.test_id,
        r.value,
        r.cnt
    from tested as t
    inner join reference_counts as r
        on r.window_id = t.window_id
),

-- the contingency table: one row per test and category seen on either side
cells as (
    select
        t.test_id,
        t.n_reference,
        t.n_current,
        coalesce(r.cnt, 0) as ref_cnt,
        coalesce(c.cnt, 0) as cur_cnt,
        coalesce(r.cnt, 0) / t.n_reference as ref_share,
        coalesce(c.cnt, 0) / t.n_current as cur_share
    from current_counts as c
    full outer join tested_reference_counts as r
        on r.test_id = c.test_id
        and r.value = c.value
    inner join tested as t
        on t.test_id = coalesce(c.test_id, r.test_id)
    where t.n_reference > 0
),

statistics as (
    select
        c.test_id,
        count(*) as categories,
        count_if(c.ref_cnt = 0) as unseen_categories,
        sum(case when c.ref_cnt = 0 then c.cur_share else 0 end) as unseen_share,
        psi(c.cur_share, c.ref_share) as psi,
        js_distance(c.cur_share, c.ref_share) as js_distance,
        sum(
            (c.ref_cnt - expected_ref) ^ 2 / expected_ref
            + (c.cur_cnt - expected_cur) ^ 2 / expected_cur
        ) as chi2_raw
    from (
        select
            *,
            (n_reference * (ref_cnt + cur_cnt)) / (n_reference + n_current) as expected_ref,
            (n_current * (ref_cnt + cur_cnt)) / (n_reference + n_current) as expected_cur
        from cells
    ) as c
    group by c.test_id
)

select
    t.week_start,
    t.system,
    t.feature,
    s.psi as value,
    t.n_reference::double as n_reference,
    t.n_current::double as n_current,
    t.reference_start,
    t.reference_end,
    s.categories,
    s.unseen_categories,
    s.unseen_share,
    s.psi,
    s.js_distance,
    case when s.categories = 1 then 0 else s.chi2_raw end as chi2_statistic,
    s.categories - 1 as chi2_dof,
    case when s.categories = 1 then 1 else chi2_sf(s.chi2_raw, s.categories - 1) end as chi2_pvalue,
    drift_flag(t.week_start, t.n_reference, t.n_current) as flag
from tested as t
left join statistics as s
    on s.test_id = t.test_id
