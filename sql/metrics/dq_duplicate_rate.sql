/* ---
name: dq_duplicate_rate
title: Duplicate rate
description: >
  Share of the rows that came in (accepted + quarantined) in the loads started in the
  reporting week (week of raw.loads.started_at) that were rejected as duplicates: rule
  duplicate_key (the key repeats within the file; the first occurrence wins) or duplicate_row
  (identical row loaded before), among any of the row's failures. numerator = duplicate
  rows, denominator = rows in. Weeks without loads have no row. The unfinished current week
  is flagged partial.
  Load-level, not per AI system: a rejected row's system is part of what failed
  validation, so it is not trusted to attribute the row (per-system data quality:
  dq_freshness_hours, dq_late_labels, dq_volume_vs_trailing).
grain: One row per reporting week (of the load) and source table, plus one total row per week (source null = all tables).
kind: quality
unit: ratio
direction: lower_is_better
dimensions: [source]
thresholds: {warn: 0.01, alert: 0.05}
--- */
select
    week_start,
    source,
    duplicate_rows::double / rows_in as value,
    duplicate_rows::double as numerator,
    rows_in::double as denominator,
    partial_flag(week_start) as flag
from dq_rows_in()
