/* ---
name: drift_share
title: Share of features drifted
description: >
  Share of an AI system's features tested in a reporting week that drifted. Per system only:
  no company row (a share pooled over systems would let a big system hide a small one's
  drift; every system's row is its total and carries the thresholds). Tested = a feature row of
  drift_numeric or drift_categorical with a statistic and not flagged insufficient (at
  least setting('drift.min_rows') values in the reference and in the week). Drifted = PSI
  >= 0.25, or p-value < 0.05 (Kolmogorov-Smirnov for numeric, chi-square for categorical
  features). numerator = features drifted, denominator = features tested; the drifted
  features are listed in drifted_features. Weeks with no tested feature have no row; the
  unfinished current week is flagged partial.
grain: One row per reporting week and system with at least one tested feature (no company row).
kind: drift
unit: ratio
direction: lower_is_better
dimensions: [system]
thresholds: {warn: 0.25, alert: 0.5}
tests:
  - not_null(system, value, numerator, denominator)
  - range(value, 0, 1)
  - accepted_values(flag, ['partial'])
--- */
with feature_tests as (
    select
        week_start,
        system,
        feature,
        psi >= 0.25 or test_pvalue < 0.05 as drifted,
        flag
    from feature_drift()
    where psi is not null
        and coalesce(flag, '') <> 'insufficient'
),

counted as (
    select
        week_start,
        system,
        count_if(drifted) as n_drifted,
        count(*) as tested_features,
        string_agg(feature, ', ' order by feature) filter (where drifted) as drifted_list,
        bool_or(flag = 'partial') as is_partial
    from feature_tests
    group by week_start, system
)

select
    week_start,
    system,
    n_drifted::double / tested_features as value,
    n_drifted::double as numerator,
    tested_features::double as denominator,
    drifted_list as drifted_features,
    case when is_partial then 'partial' end as flag
from counted
