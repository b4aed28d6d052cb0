/* ---
name: drift_js_distance
title: Feature drift, Jensen-Shannon distance
description: >
  Per AI system only (no company row: drift of a system's feature is measured against that
  system's own reference).
  Jensen-Shannon distance of every feature (numeric and categorical) in every reporting week
  against its reference window, read from drift_numeric and drift_categorical: the square
  root of the Jensen-Shannon divergence with the natural log (0 = same distribution, at most
  sqrt(ln 2) = 0.833), as scipy.spatial.distance.jensenshannon with its default base e. Over
  the reference-decile bins for numeric features, over the categories seen on either side
  for categorical ones; shares are not clipped (no epsilon needed). Warns at 0.1. Rows with
  fewer than setting('drift.min_rows') reference or current values are flagged
  insufficient; weeks without a reference have no row.
grain: One row per reporting week, system and feature that has a value in that week and a non-empty reference window (per system only, no company row).
kind: drift
unit: score
direction: lower_is_better
dimensions: [system, feature]
thresholds: {warn: 0.1, scope: each}
tests:
  - not_null(value, feature_type)
  - range(value, 0, 0.8326)
  - accepted_values(flag, ['insufficient', 'partial'])
--- */
select
    week_start,
    system,
    feature,
    js_distance as value,
    feature_type,
    n_reference,
    n_current,
    flag
from feature_drift()
where js_distance is not null
