"""Macros of the drift metrics (drift_numeric, drift_categorical): tests, reference windows,
the divergences of two share distributions, and the flag.

``feature_drift()`` reads the two metrics' rows as one: the metrics that compare features of
both types (drift_psi, drift_js_distance, drift_share) read them there.

``drift_tests('feature_weeks')`` takes rows (system, feature, week_start, n_current), one per
AI system, feature and week with values; ``drift_reference_weeks('tests')`` the tests it
returned. A feature is always a feature of one system: its reference window is made of that
system's data only, so two systems with the same feature name drift independently.

Both metrics count their values per week first, rows (system, feature, week_start, value, cnt)
(value: a number or a category); ``drift_reference_counts('tests', 'week_counts')`` sums them
over each reference window, ``drift_current_counts('tested', 'week_counts')`` takes those of
each tested week.
"""

from __future__ import annotations

from outcomes.core.macros.definition import CALENDAR, Macro

# the reference weeks of each window: fixed (the first reference_weeks complete weeks from the
# first week of the system's feature, one window per system and feature) or trailing (the
# reference_weeks weeks before the week tested, one window per test)
DRIFT_REFERENCE_WEEKS = Macro(
    "drift_reference_weeks",
    f"tests, calendar := '{CALENDAR}'",
    """
with params as (
    select
        setting('drift.reference_mode') as reference_mode,
        setting('drift.reference_weeks')::int as reference_weeks
),

fixed_windows as (
    select
        t.window_id,
        t.system,
        t.feature,
        w.week_start as reference_week
    from (select distinct window_id, system, feature, first_week from query_table(tests)) as t
    cross join params as p
    inner join query_table(calendar) as w
        on w.week_start >= t.first_week
        and not w.is_partial
    where p.reference_mode = 'fixed'
    qualify row_number() over (partition by t.window_id order by w.week_start) <= p.reference_weeks
),

trailing_offsets as (
    select unnest(generate_series(1, reference_weeks))::integer as weeks_back
    from params
    where reference_mode = 'trailing'
),

trailing_windows as (
    select
        t.window_id,
        t.system,
        t.feature,
        t.week_start - 7 * o.weeks_back as reference_week
    from query_table(tests) as t
    cross join trailing_offsets as o
)

select window_id, system, feature, reference_week from fixed_windows
union all
select window_id, system, feature, reference_week from trailing_windows""",
    table=True,
    reads=(CALENDAR,),
)

# one test per system, feature and week; window_id names its reference window (fixed: one per
# system and feature, trailing: one per test); reference_start and reference_end bound its weeks
DRIFT_TESTS = Macro(
    "drift_tests",
    f"feature_weeks, calendar := '{CALENDAR}'",
    """
with numbered as (
    select
        row_number() over (order by fw.system, fw.feature, fw.week_start) as test_id,
        case
            when setting('drift.reference_mode') = 'fixed'
                then dense_rank() over (order by fw.system, fw.feature)
            else row_number() over (order by fw.system, fw.feature, fw.week_start)
        end as window_id,
        fw.system,
        fw.feature,
        fw.week_start,
        fw.n_current,
        min(fw.week_start) over (partition by fw.system, fw.feature) as first_week
    from query_table(feature_weeks) as fw
),

window_bounds as (
    select
        window_id,
        min(reference_week) as reference_start,
        max(reference_week) as reference_end
    from drift_reference_weeks('numbered', calendar := calendar)
    group by window_id
)

select
    t.test_id,
    t.window_id,
    t.system,
    t.feature,
    t.week_start,
    t.n_current,
    t.first_week,
    b.reference_start,
    b.reference_end
from numbered as t
left join window_bounds as b
    on b.window_id = t.window_id""",
    table=True,
    reads=(CALENDAR,),
)

# the count of each value (a number or a category) over each test's reference window, one row
# per window and value, from rows (system, feature, week_start, value, cnt): a week's counts
DRIFT_REFERENCE_COUNTS = Macro(
    "drift_reference_counts",
    f"tests, week_counts, calendar := '{CALENDAR}'",
    """
select
    r.window_id,
    c.value,
    sum(c.cnt)::bigint as cnt
from drift_reference_weeks(tests, calendar := calendar) as r
inner join query_table(week_counts) as c
    on c.system = r.system
    and c.feature = r.feature
    and c.week_start = r.reference_week
group by r.window_id, c.value""",
    table=True,
    reads=(CALENDAR,),
)

# the count of each value in the week of each test that has a reference (n_reference > 0),
# from tests (test_id, window_id, system, feature, week_start, n_reference) and a week's counts
DRIFT_CURRENT_COUNTS = Macro(
    "drift_current_counts",
    "tested, week_counts",
    """
select
    t.test_id,
    t.window_id,
    c.value,
    c.cnt
from query_table(week_counts) as c
inner join query_table(tested) as t
    on t.system = c.system
    and t.feature = c.feature
    and t.week_start = c.week_start
where t.n_reference > 0""",
    table=True,
)

# the bin of a value among the reference's ascending decile edges (null: no such edge): the
# number of edges <= it, a value equal to an edge in the bin above (numpy searchsorted
# side='right')
DRIFT_BIN = Macro(
    "drift_bin",
    "v, e1, e2, e3, e4, e5, e6, e7, e8, e9",
    """(v >= e1)::int + coalesce((v >= e2)::int, 0)
+ coalesce((v >= e3)::int, 0) + coalesce((v >= e4)::int, 0)
+ coalesce((v >= e5)::int, 0) + coalesce((v >= e6)::int, 0)
+ coalesce((v >= e7)::int, 0) + coalesce((v >= e8)::int, 0)
+ coalesce((v >= e9)::int, 0)""",
)

# PSI of a group's bins (an aggregate): sum of (c - r) * ln(c / r), shares clipped below at
# epsilon = 0.0001
PSI = Macro(
    "psi",
    "cur_share, ref_share",
    """sum(
    (greatest(cur_share, 0.0001::double) - greatest(ref_share, 0.0001::double))
    * ln(greatest(cur_share, 0.0001::double) / greatest(ref_share, 0.0001::double))
)""",
)

# sqrt of the Jensen-Shannon divergence of a group's bins (an aggregate), natural log
JS_DISTANCE = Macro(
    "js_distance",
    "cur_share, ref_share",
    """sqrt(greatest(
    0.5 * sum(case
        when cur_share > 0
            then cur_share * ln(cur_share / ((cur_share + ref_share) / 2))
        else 0
    end)
    + 0.5 * sum(case
        when ref_share > 0
            then ref_share * ln(ref_share / ((cur_share + ref_share) / 2))
        else 0
    end),
    0
))""",
)

DRIFT_FLAG = Macro(
    "drift_flag",
    f"week, n_reference, n_current, calendar := '{CALENDAR}'",
    """coalesce(
    case
        when n_reference < setting('drift.min_rows')::int
            or n_current < setting('drift.min_rows')::int
            then 'insufficient'
    end,
    partial_flag(week, calendar := calendar)
)""",
    reads=(CALENDAR,),
)

# every feature's drift row of both drift metrics, with the p-value of its type's test
# (Kolmogorov-Smirnov for a numeric feature, chi-square for a categorical one)
FEATURE_DRIFT = Macro(
    "feature_drift",
    "numeric := 'metrics.drift_numeric', categorical := 'metrics.drift_categorical'",
    """
select
    week_start,
    system,
    feature,
    'numeric' as feature_type,
    psi,
    js_distance,
    ks_pvalue as test_pvalue,
    n_reference,
    n_current,
    flag
from query_table(numeric)
union all
select
    week_start,
    system,
    feature,
    'categorical' as feature_type,
    psi,
    js_distance,
    chi2_pvalue as test_pvalue,
    n_reference,
    n_current,
    flag
from query_table(categorical)""",
    table=True,
    reads=("metrics.drift_numeric", "metrics.drift_categorical"),
)
