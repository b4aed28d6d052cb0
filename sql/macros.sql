-- The macros every snapshot (and every sandbox connection) holds, in creation order.
-- Generated from outcomes/core/macros/ by `python -m outcomes.readme`: read them here,
-- change them there (a test fails when this file is stale). Not a definition: the
-- registry skips this file.

create or replace macro main.partial_flag(week, calendar := 'staging.weeks') as (
    select case when w.is_partial then 'partial' end
    from query_table(calendar) as w
    where w.week_start = week
);

create or replace macro main.coverage_flag(week, coverage, calendar := 'staging.weeks') as coalesce(
    partial_flag(week, calendar := calendar),
    case when coverage < setting('label_coverage_floor')::double then 'provisional' end
);

create or replace macro main.weekly_quantile(rows, q, calendar := 'staging.weeks') as table 
with aggregated as (
    select
        week_start,
        dims,
        quantile_cont(x, q) as x_quantile,
        count(*) as n
    from query_table(rows)
    group by grouping sets ((week_start, dims), (week_start))
)

select
    week_start,
    dims,
    x_quantile::double as value,
    n::double as n,
    partial_flag(week_start, calendar := calendar) as flag
from aggregated;

create or replace macro main.weekly_mean(rows, calendar := 'staging.weeks') as table 
with aggregated as (
    select
        week_start,
        dims,
        sum(x) as x_sum,
        count(*) as n
    from query_table(rows)
    group by grouping sets ((week_start, dims), (week_start))
)

select
    week_start,
    dims,
    x_sum::double / n as value,
    x_sum::double as numerator,
    n::double as denominator,
    partial_flag(week_start, calendar := calendar) as flag
from aggregated;

create or replace macro main.feedback_ratio(rows, calendar := 'staging.weeks') as table 
with counted as (
    select
        week_start,
        dims,
        count(*) as events,
        count_if(labelled) as labelled,
        count_if(hit) as hits
    from query_table(rows)
    group by grouping sets ((week_start, dims), (week_start))
)

select
    week_start,
    dims,
    hits::double / labelled as value,
    hits::double as numerator,
    labelled::double as denominator,
    labelled::double / events as coverage,
    coverage_flag(week_start, labelled::double / events, calendar := calendar) as flag
from counted
where labelled > 0;

create or replace macro main.drift_reference_weeks(tests, calendar := 'staging.weeks') as table 
with params as (
    select
        setting('drift.reference_mode') as reference_mode,
        setting('drift.reference_weeks')::int as reference_weeks
),

fixed_windows as (
    select
        t.window_id,
        t.feature,
        w.week_start as reference_week
    from (select distinct window_id, feature, first_week from query_table(tests)) as t
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
        t.feature,
        t.week_start - 7 * o.weeks_back as reference_week
    from query_table(tests) as t
    cross join trailing_offsets as o
)

select window_id, feature, reference_week from fixed_windows
union all
select window_id, feature, reference_week from trailing_windows;

create or replace macro main.drift_tests(feature_weeks, calendar := 'staging.weeks') as table 
with first_weeks as (
    select
        feature,
        min(week_start) as first_week
    from query_table(feature_weeks)
    group by feature
),

numbered as (
    select
        row_number() over (order by fw.feature, fw.week_start) as test_id,
        case
            when setting('drift.reference_mode') = 'fixed'
                then dense_rank() over (order by fw.feature)
            else row_number() over (order by fw.feature, fw.week_start)
        end as window_id,
        fw.feature,
        fw.week_start,
        fw.n_current,
        f.first_week
    from query_table(feature_weeks) as fw
    inner join first_weeks as f
        on f.feature = fw.feature
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
    t.feature,
    t.week_start,
    t.n_current,
    t.first_week,
    b.reference_start,
    b.reference_end
from numbered as t
left join window_bounds as b
    on b.window_id = t.window_id;

create or replace macro main.psi(cur_share, ref_share) as sum(
    (greatest(cur_share, 0.0001::double) - greatest(ref_share, 0.0001::double))
    * ln(greatest(cur_share, 0.0001::double) / greatest(ref_share, 0.0001::double))
);

create or replace macro main.js_distance(cur_share, ref_share) as sqrt(greatest(
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
));

create or replace macro main.drift_flag(week, n_reference, n_current, calendar := 'staging.weeks') as coalesce(
    case
        when n_reference < setting('drift.min_rows')::int
            or n_current < setting('drift.min_rows')::int
            then 'insufficient'
    end,
    partial_flag(week, calendar := calendar)
);

create or replace macro main.dq_rows_in(raw_schema := 'raw') as table 
with accepted_rows as (
    -- contract-required columns; ingest quarantines a null, so a hit here is a contract gap
    select
        'ai_events' as source,
        _load_id as load_id,
        (
            event_id is null or occurred_at is null or system is null
            or model_version is null or segment is null or action_tier is null
            or prediction is null or confidence is null or latency_ms is null
            or tokens_in is null or tokens_out is null or cost_usd is null
            or user_id is null or customer_id is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.ai_events')
    union all
    select
        'ai_features' as source,
        _load_id as load_id,
        (event_id is null or feature is null) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.ai_features')
    union all
    select
        'feedback' as source,
        _load_id as load_id,
        (
            event_id is null or labeled_at is null or accepted is null or overridden is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.feedback')
    union all
    select
        'work_items' as source,
        _load_id as load_id,
        (
            item_id is null or opened_at is null or team is null or customer_id is null
            or ai_assisted is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.work_items')
    union all
    select
        'users' as source,
        _load_id as load_id,
        (user_id is null or team is null or eligible_from is null) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.users')
    union all
    select
        'costs' as source,
        _load_id as load_id,
        (
            cost_id is null or period_start is null or period_end is null or category is null
            or amount is null or currency is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.costs')
    union all
    select
        'incidents' as source,
        _load_id as load_id,
        (
            incident_id is null or started_at is null or detected_at is null or severity is null
            or cause is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.incidents')
    union all
    select
        'assumptions' as source,
        _load_id as load_id,
        (
            key is null or effective_from is null or value is null or unit is null
            or owner is null or source is null
        ) as has_null_required,
        false as is_duplicate
    from query_table(raw_schema || '.assumptions')
),

quarantined_rows as (
    -- every failure of the row counts, not only the first one in `rule`
    select
        table_name as source,
        load_id,
        coalesce(
            list_contains(json_extract_string(failures, '$[*].rule'), 'required'),
            rule = 'required'
        ) as has_null_required,
        coalesce(
            list_has_any(
                json_extract_string(failures, '$[*].rule'), ['duplicate_key', 'duplicate_row']
            ),
            rule in ('duplicate_key', 'duplicate_row')
        ) as is_duplicate
    from query_table(raw_schema || '.quarantine')
),

-- counted per load first: a few rows per load instead of every raw row through the join
per_load as (
    select
        source,
        load_id,
        count(*) as rows_in,
        count_if(has_null_required) as null_rows,
        count_if(is_duplicate) as duplicate_rows
    from (
        select * from accepted_rows
        union all
        select * from quarantined_rows
    ) as r
    group by source, load_id
),

rows_in as (
    select
        r.source,
        week_of(l.started_at) as week_start,
        r.rows_in,
        r.null_rows,
        r.duplicate_rows
    from per_load as r
    inner join query_table(raw_schema || '.loads') as l
        on l.load_id = r.load_id
)

select
    week_start,
    source,
    sum(rows_in) as rows_in,
    sum(null_rows) as null_rows,
    sum(duplicate_rows) as duplicate_rows
from rows_in
group by grouping sets ((week_start, source), (week_start));

create or replace macro main.cost_lines(cost_category, line_name, until, cost_weeks := 'staging.cost_weeks') as table 
with weekly as (
    select
        week_start,
        sum(amount) as cost,
        bool_and(currency = setting('currency')) as in_reporting_currency,
        string_agg(distinct currency, ', ' order by currency) as currencies
    from query_table(cost_weeks)
    where category = cost_category
        and week_start <= until
    group by week_start
)

select
    week_start,
    cost,
    case
        when in_reporting_currency then cost::decimal(38, 10)
        else error(line_name || ': cost lines of week ' || week_start || ' are in ' || currencies
            || ', the reporting currency is ' || setting('currency') || '; convert them first')
    end as amount,
    cost::double as value
from weekly;

create or replace macro main.newest_versions(rows, loads := 'raw.loads') as table 
select r.*
from query_table(rows) as r
left join query_table(loads) as l
    on l.load_id = r._load_id
qualify row_number() over (
    partition by r.version_key
    order by l.started_at desc, r._load_id desc, r._row_number desc
) = 1;

create or replace macro main.assumption_at(assumption_key, week, assumptions := 'staging.assumptions') as (
    select arg_max(a.value, a.effective_from)
    from query_table(assumptions) as a
    where a.key = assumption_key
        and a.effective_from <= week
);
