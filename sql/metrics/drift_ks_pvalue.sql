/* ---
name: drift_ks_pvalue
title: Numeric feature drift, Kolmogorov-Smirnov p-value
description: >
  Per AI system only (no company row: drift of a system's feature is measured against that
  system's own reference).
  Two-sample Kolmogorov-Smirnov test of every numeric feature in every reporting week against
  its reference window, read from drift_numeric. value = two-sided asymptotic p-value
  (scipy.stats.ks_2samp(method='asymp'): kstwo.sf(D, round(n * m / (n + m)))) of the exact
  statistic D = sup |F_ref - F_cur| (ties included), kept as ks_statistic. Alerts when
  p <= 0.05 (the distributions differ). With many rows tiny shifts are significant: read it
  next to drift_psi. Rows with fewer than setting('drift.min_rows') reference or current
  values are flagged insufficient and never alert; weeks without a reference have no row.
grain: One row per reporting week, system and numeric feature that has a value in that week and a non-empty reference window (per system only, no company row).
kind: drift
unit: score
direction: higher_is_better
dimensions: [system, feature]
thresholds: {warn: 0.05, alert: 0.001, scope: each}
tests:
  - not_null(value, ks_statistic)
  - range(value, 0, 1)
  - range(ks_statistic, 0, 1)
  - accepted_values(flag, ['insufficient', 'partial'])
--- */
select
    week_start,
    system,
    feature,
    ks_pvalue as value,
    ks_statistic,
    n_reference,
    n_current,
    flag
from metrics.drift_numeric
where ks_pvalue is not null
