/* ---
name: feature_value_counts
description: >
  How many times each value of each model input feature occurs, per AI system and reporting
  week: the numbers the drift metrics (drift_numeric, drift_categorical) compare. A numeric
  feature's value is value_num, a categorical one's value_cat; both columns are kept as they
  are in staging.ai_features (a row with neither is left out). Its rows of a week depend only
  on that week's features, so a build after a new week counts only that week, and a drift
  metric recomputing one week reads its reference weeks from here rather than from every
  feature row.
grain: One row per AI system, feature, reporting week, value_num and value_cat that occur together.
kind: staging
tags: [week_local]
--- */
-- Measured features repeat their values (at 100M events: about 1B feature rows, a few tens of
-- millions of distinct values per system, feature and week), so this is much smaller than
-- staging.ai_features and holds everything drift reads.
select
    system,
    feature,
    week_start,
    value_num,
    value_cat,
    count(*)::bigint as cnt
from staging.ai_features
where value_num is not null
    or value_cat is not null
group by system, feature, week_start, value_num, value_cat
