"""Thresholds -> alerts: evaluate every metric's warn / alert levels for every week.

A value is *at* a level when it is as bad as the level or worse, honouring the metric's
direction: ``higher_is_better`` means at or below, ``lower_is_better`` at or above, ``neutral``
means the size of the value (or of the change) at or above. Modes:

- ``absolute``: the weekly value itself;
- ``change_abs`` / ``change_pct``: against the previous week of the same dimensions (for
  ``higher_is_better`` a drop is bad: ``{warn: 0.1}`` warns at a 10 % drop);
- ``vs_trailing_mean``: relative change against the mean of the 4 weeks before.

Rows flagged ``insufficient`` never alert; ``partial`` weeks are not evaluated; ``provisional``
rows are evaluated and keep their flag, so a reader knows the figure may still move.

Scope ``total`` checks the totals: the company's row (dimensions ``{}``) and each AI system's
(dimensions ``{"system": "x"}``); ``each`` checks every row. Every series is its own (metric,
dimensions): a system's change is measured against that system's previous weeks. An alert
carries its ``system`` (null for the company's), so alerts can be counted per system.

>>> import duckdb, pandas as pd
>>> con = duckdb.connect()
>>> _ = con.execute("create table metric_values as select * from (values "
...     "('acc', date '2026-01-05', '{}', 0.90, null), ('acc', date '2026-01-12', '{}', 0.70, null)) "
...     "t(metric, week_start, dimensions, value, flag)")
>>> t = pd.DataFrame([{"metric": "acc", "mode": "absolute", "warn": 0.85, "alert": 0.8,
...                    "direction": "higher_is_better", "owner": "ops@example.com"}])
>>> evaluate_thresholds(con, t, table="metric_values")[["week_start", "level"]].to_dict("records")
[{'week_start': Timestamp('2026-01-12 00:00:00'), 'level': 'alert'}]
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

THRESHOLD_COLUMNS = ["metric", "mode", "warn", "alert", "direction", "owner", "scope"]

_EVALUATE = """
with thresholds as (
    select * from threshold_frame
),

series as (
    select
        v.metric,
        v.week_start,
        v.dimensions,
        v.value,
        v.flag,
        lag(v.value) over by_week as previous_value,
        avg(v.value) over (
            partition by v.metric, v.dimensions
            order by v.week_start
            rows between 4 preceding and 1 preceding
        ) as trailing_mean
    from {table} as v
    where v.metric in (select metric from thresholds)
    window by_week as (partition by v.metric, v.dimensions order by v.week_start)
),

observed as (
    select
        s.*,
        t.mode,
        t.warn,
        t.alert,
        t.direction,
        t.owner,
        case t.mode
            when 'absolute' then s.value
            when 'change_abs' then s.value - s.previous_value
            when 'change_pct' then (s.value - s.previous_value) / nullif(abs(s.previous_value), 0)
            when 'vs_trailing_mean' then (s.value - s.trailing_mean) / nullif(abs(s.trailing_mean), 0)
        end as observed
    from series as s
    inner join thresholds as t
        on t.metric = s.metric
    where coalesce(s.flag, '') not in ('insufficient', 'partial')
        and (
            coalesce(t.scope, 'total') = 'each'
            or s.dimensions = '{{}}'
            or json_keys(s.dimensions::json) = ['system']
        )
),

graded as (
    select
        *,
        case
            when observed is null then null
            when direction = 'higher_is_better' and mode = 'absolute' then
                case when observed <= alert then 'alert' when observed <= warn then 'warn' end
            when direction = 'higher_is_better' then
                case when -observed >= alert then 'alert' when -observed >= warn then 'warn' end
            when direction = 'lower_is_better' then
                case when observed >= alert then 'alert' when observed >= warn then 'warn' end
            when mode = 'absolute' then
                case when observed >= alert then 'alert' when observed >= warn then 'warn' end
            else
                case when abs(observed) >= alert then 'alert' when abs(observed) >= warn then 'warn' end
        end as level
    from observed
)

select
    metric,
    week_start,
    dimensions,
    dimensions::json ->> 'system' as system,
    level,
    value,
    observed,
    case level when 'alert' then alert else warn end as threshold,
    mode,
    direction,
    owner,
    flag,
    previous_value,
    trailing_mean
from graded
where level is not null
order by week_start, metric, dimensions
"""


def thresholds_frame(definitions: Iterable[object]) -> pd.DataFrame:
    """One row per metric definition that declares thresholds (registry definitions)."""
    rows = []
    for d in definitions:
        header = d.header  # type: ignore[attr-defined]
        t = getattr(header, "thresholds", None)
        if t is None:
            continue
        rows.append(
            {
                "metric": d.name,  # type: ignore[attr-defined]
                "mode": str(t.mode),
                "warn": t.warn,
                "alert": t.alert,
                "direction": str(header.direction),
                "owner": header.owner,
                "scope": t.scope,
            }
        )
    return pd.DataFrame(rows, columns=THRESHOLD_COLUMNS).astype(
        {"warn": "float64", "alert": "float64"}
    )


def evaluate_thresholds(
    con: duckdb.DuckDBPyConnection, thresholds: pd.DataFrame, table: str = "main.metric_values"
) -> pd.DataFrame:
    """Every (metric, week, dimensions) at a warn or alert level, for all weeks."""
    cur = con.cursor()
    frame = thresholds.copy()
    if "scope" not in frame:
        frame["scope"] = "total"
    # a missing level compares as null and so never fires
    for level in ("warn", "alert"):
        frame[level] = frame[level].astype("float64")
    cur.register("threshold_frame", frame)
    try:
        return cur.execute(_EVALUATE.format(table=table)).df()
    finally:
        cur.unregister("threshold_frame")
