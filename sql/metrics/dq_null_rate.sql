/* ---
name: dq_null_rate
title: Null rate of required fields
description: >
  Share of the rows that came in (accepted + quarantined) in the loads started in the
  reporting week (week of raw.loads.started_at) that had a null or empty required field:
  quarantined rows with a `required` failure (any of their failures, not only the first), plus
  accepted rows with a null in a column the contract requires (none expected: ingest
  quarantines them; a non-zero count means rows accepted before the column was required).
  numerator = rows with a missing required field, denominator = rows in. Weeks without loads
  have no row. The unfinished current week is flagged partial.
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
    null_rows::double / rows_in as value,
    null_rows::double as numerator,
    rows_in::double as denominator,
    partial_flag(week_start) as flag
from dq_rows_in()
