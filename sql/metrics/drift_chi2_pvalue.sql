/* ---
name: drift_chi2_pvalue
title: Categorical feature drift, chi-square p-value
description: >
  Per AI system only (no company row: drift of a system's feature is measured against that
  system's own reference).
  Pearson chi-square test of every categorical feature in every reporting week against its
  reference window, read from drift_categorical: the 2 x K table of reference and current
  counts over every category seen on either side (a category unseen in the reference is a
  column, not dropped), no continuity correction, as
  scipy.stats.chi2_contingency(correction=False); statistic and degrees of freedom kept as
  chi2_statistic, chi2_dof. value = the p-value; alerts when p <= 0.05. Rows with fewer
  than setting('drift.min_rows') reference or current values are flagged insufficient and
  never alert; weeks without a reference have no row.
grain: One row per reporting week, system and categorical feature that has a value in that week and a non-empty reference window (per system only, no company row).
kind: drift
unit: score
direction: higher_is_better
dimensions: [system, feature]
thresholds: {warn: 0.05, alert: 0.001, scope: each}
tests:
  - not_null(value, chi2_statistic, chi2_dof)
  - range(value, 0, 1)
  - range(chi2_statistic, 0, null)
  - accepted_values(flag, ['insufficient', 'partial'])
--- */
select
    week_start,
    system,
    feature,
    chi2_pvalue as value,
    chi2_statistic,
    chi2_dof,
    unseen_categories,
    n_reference,
    n_current,
    flag
from metrics.drift_categorical
where chi2_pvalue is not null
