/* ---
name: drift_psi
title: Feature drift, PSI
description: >
  Per AI system only (no company row: drift of a system's feature is measured against that
  system's own reference).
  Population stability index of every feature (numeric and categorical) in every reporting
  week against its reference window, read from drift_numeric and drift_categorical (see
  them for the reference window and the bins). PSI = sum over bins or categories of
  (c - r) * ln(c / r), reference share r and current share c clipped below at
  epsilon = 0.0001 (an empty bin, or a category unseen in the reference, counts as 0.0001).
  Numeric bins: reference deciles, duplicate edges removed. Rules of thumb: below 0.1
  stable, 0.1 to 0.25 moderate shift, 0.25 and above significant shift. A row whose
  reference or current week has fewer than setting('drift.min_rows') values is flagged
  insufficient and never alerts; weeks without a reference (no PSI) have no row.
grain: One row per reporting week, system and feature that has a value in that week and a non-empty reference window (per system only, no company row).
kind: drift
unit: score
direction: lower_is_better
dimensions: [system, feature]
thresholds: {warn: 0.1, alert: 0.25, scope: each}
tests:
  - not_null(value, feature_type, n_reference, n_current)
  - range(value, 0, null)
  - accepted_values(feature_type, ['numeric', 'categorical'])
  - accepted_values(flag, ['insufficient', 'partial'])
--- */
select
    week_start,
    system,
    feature,
    psi as value,
    feature_type,
    n_reference,
    n_current,
    flag
from feature_drift()
where psi is not null
