/* ---
name: drift_wasserstein
title: Numeric feature drift, normalised Wasserstein distance
description: >
  Per AI system only (no company row: drift of a system's feature is measured against that
  system's own reference).
  1-Wasserstein (earth mover's) distance between the reference window and the week of every
  numeric feature, read from drift_numeric: exact (the integral of |F_ref - F_cur|, as
  scipy.stats.wasserstein_distance), divided by the population standard deviation of the
  reference (ddof 0, np.std), so 0.1 means the mass moved on average a tenth of a reference
  standard deviation. Warns at 0.1. Features whose reference is constant (standard deviation
  0) have no row; rows with fewer than setting('drift.min_rows') reference or current
  values are flagged insufficient; weeks without a reference have no row.
grain: One row per reporting week, system and numeric feature that has a value in that week and a non-constant reference window (per system only, no company row).
kind: drift
unit: score
direction: lower_is_better
dimensions: [system, feature]
thresholds: {warn: 0.1, scope: each}
tests:
  - not_null(value, wasserstein, reference_std)
  - range(value, 0, null)
  - accepted_values(flag, ['insufficient', 'partial'])
--- */
select
    week_start,
    system,
    feature,
    wasserstein_norm as value,
    wasserstein,
    reference_std,
    n_reference,
    n_current,
    flag
from metrics.drift_numeric
where wasserstein_norm is not null
