"""The weekly review: scorecard, alerts, drift, data quality and the output sample of a week.

Plain functions of a read-only snapshot connection (cached by ``outcomes.app.streamlit_glue.load``), plus pure
helpers that merge in what people wrote in the state store. The page ``pages/weekly_review.py``
only lays them out.

Statuses of a scorecard row:

- ``alert`` / ``warn``: the metric's all-dimensions row of the week is at that level (for a
  metric without a total row, e.g. drift by feature: its worst dimension);
- ``ok``: thresholds are declared and the week is at neither level;
- ``no_threshold``: the metric declares no thresholds;
- ``insufficient``: no value that week, or the row is flagged insufficient or partial (checks
  do not evaluate those);
- ``error``: the metric failed to build in this snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from outcomes.app.charts import format_value
from outcomes.app.exports.weekly_review import ReviewPack, review_html, review_markdown
from outcomes.build.alerts import THRESHOLD_COLUMNS, evaluate_thresholds
from outcomes.store.state import Acknowledgement, OutputVerdict, alert_key

__all__ = [
    "KIND_ORDER",
    "ReviewPack",
    "alerts",
    "alerts_for_week",
    "attach_acknowledgements",
    "default_week",
    "distributions",
    "grade",
    "dq_panel",
    "drift_cell",
    "drift_heatmap_data",
    "metric_catalog",
    "metric_trend",
    "output_sample",
    "review_html",
    "review_markdown",
    "scorecard",
    "unowned_metrics",
    "verdict_summary",
    "weeks",
]

KIND_ORDER = ("model", "drift", "business", "cost", "quality", "roi")
SPARK_WEEKS = 8
LEVEL_RANK = {"alert": 2, "warn": 1}
CATALOG_COLUMNS = [
    "name",
    "title",
    "kind",
    "unit",
    "direction",
    "owner",
    "thresholds",
    "description",
    "dimensions",
]


# -- small plumbing --------------------------------------------------------------------------


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    rows = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return bool(rows[0][0])


def _as_date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _dims(text: Any) -> dict[str, Any]:
    if isinstance(text, Mapping):
        return dict(text)
    try:
        parsed = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _dims_label(text: Any) -> str:
    """``{"segment": "smb"}`` -> ``segment=smb``; ``{}`` -> ``all``."""
    dims = _dims(text)
    return ", ".join(f"{k}={v}" for k, v in sorted(dims.items())) or "all"


# -- metric catalog --------------------------------------------------------------------------


def metric_catalog(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per metric of the snapshot: name, title, kind, unit, direction, owner,
    thresholds (dict or None), description, dimensions (list), build_status, error.

    Reads ``main.metric_definitions`` when the build wrote it; otherwise the headers of the
    files the build recorded in ``main.build_objects``.
    """
    if _has_table(con, "main", "metric_definitions"):
        frame = con.execute(
            "select name, title, kind, unit, direction, owner, thresholds, description, "
            "dimensions from main.metric_definitions where schema = 'metrics' order by name"
        ).df()
        frame["thresholds"] = [_thresholds(t) for t in frame["thresholds"]]
        frame["dimensions"] = [_dimension_list(d) for d in frame["dimensions"]]
    else:
        frame = _catalog_from_files(con)
    objects = con.execute(
        "select name, status as build_status, error from main.build_objects where kind = 'metric'"
    ).df()
    frame = frame.merge(objects, on="name", how="outer")
    frame["title"] = frame["title"].fillna(frame["name"])
    frame["kind"] = frame["kind"].fillna("model")
    frame["build_status"] = frame["build_status"].fillna("ok")
    frame["owner"] = frame["owner"].where(frame["owner"].notna(), None)
    return frame.sort_values("name").reset_index(drop=True)


def _thresholds(value: Any) -> dict[str, Any] | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, Mapping):
        return dict(value) or None
    parsed = json.loads(value) if isinstance(value, str) else None
    return parsed or None


def _dimension_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [v.strip() for v in value.strip("[]").split(",") if v.strip()]
    return [str(v) for v in value]


def _catalog_from_files(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    from outcomes.core.headers import HeaderError, MetricHeader, parse_header

    paths = con.execute(
        "select name, path from main.build_objects where kind = 'metric' order by name"
    ).fetchall()
    records = []
    for name, path in paths:
        try:
            header = parse_header(Path(path).read_text(), "metrics").header
        except (OSError, HeaderError, TypeError):
            records.append({"name": name})
            continue
        assert isinstance(header, MetricHeader)  # the model parse_header uses for "metrics"
        t = getattr(header, "thresholds", None)
        records.append(
            {
                "name": name,
                "title": header.title,
                "kind": str(header.kind),
                "unit": str(header.unit),
                "direction": str(header.direction),
                "owner": header.owner,
                "thresholds": None
                if t is None
                else {"warn": t.warn, "alert": t.alert, "mode": str(t.mode)},
                "description": header.description,
                "dimensions": list(header.dimensions),
            }
        )
    return pd.DataFrame(records, columns=CATALOG_COLUMNS)


def unowned_metrics(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the metrics whose header names no owner."""
    catalog = metric_catalog(con)
    mask = catalog["owner"].isna() | (catalog["owner"].astype(str).str.strip() == "")
    return catalog.loc[mask, "name"].tolist()


# -- weeks -----------------------------------------------------------------------------------


def weeks(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The reporting calendar, newest first: week_start (date), is_partial, provisional
    (number of metric rows of the week flagged provisional)."""
    if not _has_table(con, "staging", "weeks"):
        return pd.DataFrame(columns=["week_start", "is_partial", "provisional"])
    rows = con.execute(
        """
        select
            w.week_start,
            w.is_partial,
            coalesce(p.provisional, 0) as provisional
        from staging.weeks as w
        left join (
            select week_start, count(*) as provisional
            from main.metric_values
            where flag = 'provisional'
            group by week_start
        ) as p
            on p.week_start = w.week_start
        order by w.week_start desc
        """
    ).fetchall()
    return pd.DataFrame(
        [(_as_date(w), bool(p), int(n)) for w, p, n in rows],
        columns=["week_start", "is_partial", "provisional"],
    )


def default_week(calendar: pd.DataFrame) -> dt.date | None:
    """The last complete week of :func:`weeks`, else the newest one.

    >>> cal = pd.DataFrame({"week_start": [dt.date(2026, 1, 12), dt.date(2026, 1, 5)],
    ...                     "is_partial": [True, False], "provisional": [0, 0]})
    >>> default_week(cal)
    datetime.date(2026, 1, 5)
    """
    if calendar.empty:
        return None
    complete = calendar[~calendar["is_partial"].astype(bool)]
    pick = complete if len(complete) else calendar
    return max(pick["week_start"])


# -- alerts ----------------------------------------------------------------------------------


def alerts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every warn / alert of every week: ``main.alerts`` when the build wrote it, else the
    thresholds of the catalog evaluated here (same rules, :mod:`outcomes.build.alerts`)."""
    if _has_table(con, "main", "alerts"):
        frame = con.execute("select * from main.alerts").df()
    else:
        catalog = metric_catalog(con)
        records = []
        for row in catalog.itertuples():
            t = row.thresholds
            if not isinstance(t, Mapping):
                continue
            records.append(
                {
                    "metric": row.name,
                    "mode": str(t.get("mode") or "absolute"),
                    "warn": t.get("warn"),
                    "alert": t.get("alert"),
                    "direction": row.direction,
                    "owner": row.owner,
                    "scope": str(t.get("scope") or "total"),
                }
            )
        thresholds = pd.DataFrame(records, columns=THRESHOLD_COLUMNS).astype({"scope": object})
        frame = evaluate_thresholds(con, thresholds)
    if len(frame):
        frame["week_start"] = [_as_date(w) for w in frame["week_start"]]
    return frame


def alerts_for_week(con: duckdb.DuckDBPyConnection, week: dt.date) -> pd.DataFrame:
    """The week's warn / alert rows, worst first, with alert_key, title, kind and a
    readable ``dimension`` label; owner from the metric header."""
    frame = alerts(con)
    columns = [
        "alert_key",
        "level",
        "metric",
        "title",
        "kind",
        "dimension",
        "value",
        "observed",
        "threshold",
        "mode",
        "unit",
        "owner",
        "flag",
        "dimensions",
    ]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame[frame["week_start"] == week].copy()
    if frame.empty:
        return pd.DataFrame(columns=columns)
    catalog = metric_catalog(con)[["name", "title", "kind", "unit"]]
    frame = frame.merge(catalog, left_on="metric", right_on="name", how="left")
    frame["alert_key"] = [
        alert_key(m, week, _dims(d))
        for m, d in zip(frame["metric"], frame["dimensions"], strict=True)
    ]
    frame["dimension"] = [_dims_label(d) for d in frame["dimensions"]]
    frame["rank"] = frame["level"].map(LEVEL_RANK).fillna(0)
    frame = frame.sort_values(["rank", "metric", "dimension"], ascending=[False, True, True])
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    return frame[columns].reset_index(drop=True)


def attach_acknowledgements(
    week_alerts: pd.DataFrame, acks: Iterable[Acknowledgement]
) -> pd.DataFrame:
    """Add ack_by, ack_at, ack_note (the latest acknowledgement of each alert key).

    >>> from outcomes.store.state import Acknowledgement
    >>> a = pd.DataFrame({"alert_key": ["k1", "k2"]})
    >>> ack = Acknowledgement(1, "k2", "ana", "looking", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    >>> attach_acknowledgements(a, [ack])["ack_by"].tolist()
    [None, 'ana']
    """
    latest: dict[str, Acknowledgement] = {}
    for ack in acks:
        if ack.alert_key not in latest or ack.id > latest[ack.alert_key].id:
            latest[ack.alert_key] = ack
    out = week_alerts.copy()
    keys = list(out["alert_key"])
    out["ack_by"] = pd.Series(
        [latest[k].author if k in latest else None for k in keys], dtype=object, index=out.index
    )
    out["ack_at"] = pd.Series(
        [latest[k].created_at if k in latest else None for k in keys], dtype=object, index=out.index
    )
    out["ack_note"] = pd.Series(
        [latest[k].note if k in latest else None for k in keys], dtype=object, index=out.index
    )
    return out


# -- scorecard -------------------------------------------------------------------------------


def _window_values(con: duckdb.DuckDBPyConnection, week: dt.date) -> pd.DataFrame:
    start = week - dt.timedelta(days=7 * (SPARK_WEEKS - 1))
    frame = con.execute(
        """
        select metric, week_start, dimensions, value, flag
        from main.metric_values
        where week_start between ? and ?
        """,
        [start, week],
    ).df()
    frame["week_start"] = [_as_date(w) for w in frame["week_start"]]
    return frame


def _headline(values: pd.DataFrame, direction: str) -> tuple[pd.DataFrame, str]:
    """Weekly headline rows of one metric: the total row, else the worst dimension."""
    total = values[values["dimensions"] == "{}"]
    if len(total) or values.empty:
        return total[["week_start", "value", "flag"]], "all"
    usable = values[values["flag"].fillna("") != "insufficient"]
    usable = usable if len(usable) else values
    usable = usable.dropna(subset=["value"])
    ascending = direction == "higher_is_better"  # worst = lowest when higher is better
    ordered = usable.sort_values(["week_start", "value"], ascending=[True, ascending])
    worst = ordered.groupby("week_start", as_index=False).first()
    keys = sorted({k for d in values["dimensions"] for k in _dims(d)})
    return worst[["week_start", "value", "flag"]], "worst " + "/".join(keys or ["dimension"])


def scorecard(con: duckdb.DuckDBPyConnection, week: dt.date) -> pd.DataFrame:
    """Every metric for ``week``: kind, metric, title, unit, value, previous, change,
    change_pct, status, owner, flag, spark (the last 8 weekly values, oldest first, None
    where a week has no value), basis ('all' or 'worst <dimension>'), dimension_alerts
    (warn/alert rows on single dimensions that week), value_text, change_text,
    build_status, error. Sorted by kind (:data:`KIND_ORDER`) then title."""
    catalog = metric_catalog(con)
    window = _window_values(con, week)
    week_alerts = alerts(con)
    if len(week_alerts):
        week_alerts = week_alerts[week_alerts["week_start"] == week]
    spark_weeks = [week - dt.timedelta(days=7 * i) for i in range(SPARK_WEEKS - 1, -1, -1)]
    previous_week = week - dt.timedelta(days=7)
    records = []
    for m in catalog.itertuples():
        values = window[window["metric"] == m.name]
        direction = m.direction if isinstance(m.direction, str) else "neutral"
        headline, basis = _headline(values, direction)
        by_week = {w: (v, f) for w, v, f in headline.itertuples(index=False)}
        value, flag = by_week.get(week, (None, None))
        previous = by_week.get(previous_week, (None, None))[0]
        value = None if value is None or value != value else float(value)
        previous = None if previous is None or previous != previous else float(previous)
        change = value - previous if value is not None and previous is not None else None
        change_pct = (
            change / abs(previous) if change is not None and previous not in (None, 0) else None
        )
        flag = flag if isinstance(flag, str) else None
        mine = week_alerts[week_alerts["metric"] == m.name] if len(week_alerts) else week_alerts
        if basis == "all" and len(mine):
            headline_alerts = mine[mine["dimensions"] == "{}"]
            dimension_alerts = int(len(mine) - len(headline_alerts))
        else:
            headline_alerts = mine
            dimension_alerts = 0
        levels = list(headline_alerts["level"]) if len(headline_alerts) else []
        if basis != "all" and value is not None and flag not in ("insufficient", "partial"):
            # no total row, so checks (scope total) never see it: grade the worst row shown
            graded = grade(value, m.thresholds, direction)
            levels = [graded] if graded else levels
        status = _status(m.build_status, m.thresholds, value, flag, levels)
        spark = [by_week.get(w, (None, None))[0] for w in spark_weeks]
        unit = m.unit if isinstance(m.unit, str) else None
        records.append(
            {
                "kind": m.kind,
                "metric": m.name,
                "title": m.title,
                "unit": unit,
                "value": value,
                "previous": previous,
                "change": change,
                "change_pct": change_pct,
                "status": status,
                "owner": m.owner if isinstance(m.owner, str) and m.owner.strip() else None,
                "flag": flag,
                "spark": [None if v is None or v != v else float(v) for v in spark],
                "basis": basis,
                "dimension_alerts": dimension_alerts,
                "value_text": format_value(value, unit),
                "change_text": change_text(change, unit),
                "build_status": m.build_status,
                "error": m.error if isinstance(m.error, str) else None,
            }
        )
    frame = pd.DataFrame(records)
    if frame.empty:
        return frame
    for column in ("owner", "flag", "error", "unit"):
        frame[column] = pd.Series(
            [v if isinstance(v, str) else None for v in frame[column]],
            dtype=object,
            index=frame.index,
        )
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    frame["_kind_rank"] = frame["kind"].map(rank).fillna(len(rank))
    frame = frame.sort_values(["_kind_rank", "title"]).drop(columns="_kind_rank")
    return frame.reset_index(drop=True)


def _status(
    build_status: str, thresholds: Any, value: float | None, flag: str | None, levels: list[str]
) -> str:
    if build_status != "ok":
        return "error"
    if levels:
        return max(levels, key=lambda lvl: LEVEL_RANK.get(lvl, 0))
    if not isinstance(thresholds, Mapping):
        return "no_threshold"
    if value is None or flag in ("insufficient", "partial"):
        return "insufficient"
    return "ok"


def grade(value: float | None, thresholds: Any, direction: str) -> str | None:
    """The level of an absolute-mode value, as :mod:`outcomes.build.alerts` grades it, or None.

    >>> grade(0.3, {"warn": 0.1, "alert": 0.25}, "lower_is_better")
    'alert'
    >>> grade(0.9, {"warn": 0.85, "alert": 0.8}, "higher_is_better") is None
    True
    """
    if value is None or not isinstance(thresholds, Mapping):
        return None
    if str(thresholds.get("mode") or "absolute") != "absolute":
        return None
    warn, alert = thresholds.get("warn"), thresholds.get("alert")
    if direction == "higher_is_better":
        if alert is not None and value <= alert:
            return "alert"
        if warn is not None and value <= warn:
            return "warn"
        return None
    if alert is not None and value >= alert:
        return "alert"
    if warn is not None and value >= warn:
        return "warn"
    return None


def change_text(change: float | None, unit: str | None) -> str:
    """Week-over-week change as text: percentage points for ratios, else the unit.

    >>> change_text(0.0123, "ratio"), change_text(-3.0, "count"), change_text(None, "ms")
    ('+1.2 pp', '−3', '–')
    """
    if change is None or change != change:
        return "–"
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    if unit == "ratio":
        return f"{sign}{abs(change) * 100:.1f} pp"
    return sign + format_value(abs(change), unit)


def metric_trend(
    con: duckdb.DuckDBPyConnection, metric: str, until: dt.date | None = None
) -> pd.DataFrame:
    """Headline weekly series of one metric (total row, else worst dimension), up to
    ``until``: week_start, value, flag."""
    frame = con.execute(
        "select week_start, dimensions, value, flag from main.metric_values where metric = ? "
        "and (? is null or week_start <= ?) order by week_start",
        [metric, until, until],
    ).df()
    frame["week_start"] = [_as_date(w) for w in frame["week_start"]]
    catalog = metric_catalog(con)
    row = catalog[catalog["name"] == metric]
    direction = row["direction"].iloc[0] if len(row) else "neutral"
    headline, _ = _headline(frame, direction if isinstance(direction, str) else "neutral")
    return headline.reset_index(drop=True)


# -- data quality ----------------------------------------------------------------------------


def dq_panel(con: duckdb.DuckDBPyConnection, week: dt.date) -> dict[str, pd.DataFrame]:
    """Data quality of the week.

    - ``freshness``: source, hours (dq_freshness_hours of the week), newest_at, stale;
    - ``loads``: per raw table, the newest load: finished_at, status, rows in / accepted /
      quarantined;
    - ``quarantine``: per table and rule, rows rejected in the loads of this week and in all
      loads of the snapshot, with an example reason;
    - ``null_rates``: per source, the share of incoming rows with a missing required field
      in the loads of this week (dq_null_rate).
    """
    out: dict[str, pd.DataFrame] = {}
    freshness = con.execute(
        "select dimensions, value, extras from main.metric_values "
        "where metric = 'dq_freshness_hours' and week_start = ? order by value desc",
        [week],
    ).fetchall()
    records = []
    for dims, value, extras in freshness:
        source = _dims(dims).get("source")
        extra = _dims(extras)
        records.append(
            {
                "source": source or "all (stalest)",
                "hours": value,
                "newest_at": extra.get("newest_at"),
                "stale": extra.get("stale"),
            }
        )
    out["freshness"] = pd.DataFrame(records, columns=["source", "hours", "newest_at", "stale"])
    out["loads"] = con.execute(
        """
        select
            table_name,
            finished_at,
            status,
            rows_in,
            rows_accepted,
            rows_quarantined,
            loaded_by
        from raw.loads
        qualify row_number() over (partition by table_name order by finished_at desc, load_id desc) = 1
        order by table_name
        """
    ).df()
    out["quarantine"] = con.execute(
        """
        select
            q.table_name,
            q.rule,
            count_if(week_of(l.started_at) = ?)::bigint as rows_this_week,
            count(*)::bigint as rows_all_loads,
            min(q.reason) as example_reason
        from raw.quarantine as q
        left join raw.loads as l
            on l.load_id = q.load_id
        group by q.table_name, q.rule
        order by rows_all_loads desc, q.table_name, q.rule
        """,
        [week],
    ).df()
    nulls = con.execute(
        "select dimensions, value, numerator, denominator from main.metric_values "
        "where metric = 'dq_null_rate' and week_start = ? order by value desc",
        [week],
    ).fetchall()
    out["null_rates"] = pd.DataFrame(
        [
            {
                "source": _dims(d).get("source") or "all",
                "null_rate": v,
                "rows_missing": n,
                "rows_in": den,
            }
            for d, v, n, den in nulls
        ],
        columns=["source", "null_rate", "rows_missing", "rows_in"],
    )
    return out


# -- drift -----------------------------------------------------------------------------------


def drift_heatmap_data(
    con: duckdb.DuckDBPyConnection, week: dt.date, weeks_back: int = 26
) -> pd.DataFrame:
    """PSI per feature and week for the ``weeks_back`` weeks up to ``week``: week_start,
    feature, feature_type, psi, n_current, flag (from ``metrics.drift_psi``)."""
    columns = ["week_start", "feature", "feature_type", "psi", "n_current", "flag"]
    if not _has_table(con, "metrics", "drift_psi"):
        return pd.DataFrame(columns=columns)
    start = week - dt.timedelta(days=7 * (weeks_back - 1))
    frame = con.execute(
        "select week_start, feature, feature_type, value as psi, n_current, coalesce(flag, '') as flag "
        "from metrics.drift_psi where week_start between ? and ? order by feature, week_start",
        [start, week],
    ).df()
    frame["week_start"] = [_as_date(w) for w in frame["week_start"]]
    return frame[columns]


def drift_cell(con: duckdb.DuckDBPyConnection, feature: str, week: dt.date) -> dict[str, Any]:
    """The drift statistics of one feature and week, with its reference window, or {}."""
    for table, kind in (("drift_numeric", "numeric"), ("drift_categorical", "categorical")):
        if not _has_table(con, "metrics", table):
            continue
        frame = con.execute(
            f"select * from metrics.{table} where feature = ? and week_start = ?",  # noqa: S608
            [feature, week],
        ).df()
        if len(frame):
            row = frame.iloc[0].to_dict()
            row["feature_type"] = kind
            row["reference_start"] = _as_date(row.get("reference_start"))
            row["reference_end"] = _as_date(row.get("reference_end"))
            row["week_start"] = _as_date(row.get("week_start"))
            return row
    return {}


def distributions(
    con: duckdb.DuckDBPyConnection, feature: str, week: dt.date, top: int = 12
) -> pd.DataFrame:
    """Reference vs current distribution of one feature, read from ``staging.ai_features``.

    Numeric features: the reference's deciles (quantile_cont, duplicate edges removed) as
    bins, a value equal to an edge in the bin above (as the drift metrics bin). Categorical:
    the ``top`` categories by their larger share, the rest as ``(other)``. Columns: bin,
    bin_order, sample ('reference' / 'current'), rows, share. Empty when the week has no
    reference window.
    """
    cell = drift_cell(con, feature, week)
    columns = ["bin", "bin_order", "sample", "rows", "share"]
    if not cell or cell.get("reference_start") is None:
        return pd.DataFrame(columns=columns)
    args = [feature, cell["reference_start"], cell["reference_end"], week]
    if cell["feature_type"] == "numeric":
        return _numeric_distribution(con, args)
    return _categorical_distribution(con, args, top)


# One row per feature value and sample; a current week inside a fixed reference window is
# counted in both samples, as the drift metrics do.
_SAMPLES = """
    select 'reference' as sample, {column} as x
    from staging.ai_features
    where feature = $1 and {column} is not null and week_start between $2 and $3{extra}
    union all
    select 'current' as sample, {column} as x
    from staging.ai_features
    where feature = $1 and {column} is not null and week_start = $4{extra}
"""


def _numeric_distribution(con: duckdb.DuckDBPyConnection, args: list[Any]) -> pd.DataFrame:
    samples = _SAMPLES.format(column="value_num", extra=" and isfinite(value_num)")
    edges_row = con.execute(
        f"""
        select list_sort(list_distinct(quantile_cont(
            x, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        )))
        from ({samples}) as s
        where sample = 'reference'
        """,
        args,
    ).fetchall()
    edges = [float(e) for e in (edges_row[0][0] or [])] if edges_row else []
    counts = con.execute(
        f"""
        select sample, len(list_filter($5::double[], lambda e: x >= e)) as bin_order, count(*) as rows
        from ({samples}) as s
        group by all
        """,
        [*args, edges],
    ).fetchall()
    labels = _bin_labels(edges)
    records = [
        {"bin": labels[b], "bin_order": int(b), "sample": s, "rows": int(n)} for s, b, n in counts
    ]
    return _with_shares(records)


def _bin_labels(edges: list[float]) -> list[str]:
    """Labels of the bins cut by ``edges``.

    >>> _bin_labels([1.0, 2.5])
    ['< 1', '[1, 2.5)', '≥ 2.5']
    """
    if not edges:
        return ["all values"]
    labels = [f"< {edges[0]:.4g}"]
    labels += [f"[{a:.4g}, {b:.4g})" for a, b in zip(edges, edges[1:], strict=False)]
    labels.append(f"≥ {edges[-1]:.4g}")
    return labels


def _categorical_distribution(
    con: duckdb.DuckDBPyConnection, args: list[Any], top: int
) -> pd.DataFrame:
    samples = _SAMPLES.format(column="value_cat", extra="")
    counts = con.execute(
        f"select sample, x as value_cat, count(*) as rows from ({samples}) as s group by all",
        args,
    ).df()
    if counts.empty:
        return pd.DataFrame(columns=["bin", "bin_order", "sample", "rows", "share"])
    counts["share"] = counts["rows"] / counts.groupby("sample")["rows"].transform("sum")
    best = counts.groupby("value_cat")["share"].max().sort_values(ascending=False, kind="stable")
    keep = sorted(best.index[:top], key=lambda c: (-best[c], c))
    counts["bin"] = [c if c in keep else "(other)" for c in counts["value_cat"]]
    grouped = counts.groupby(["sample", "bin"], as_index=False)["rows"].sum()
    order = {c: i for i, c in enumerate([*keep, "(other)"])}
    records = [
        {"bin": b, "bin_order": order[b], "sample": s, "rows": int(n)}
        for s, b, n in grouped.itertuples(index=False)
    ]
    return _with_shares(records)


def _with_shares(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=["bin", "bin_order", "sample", "rows"])
    totals = frame.groupby("sample")["rows"].transform("sum")
    frame["share"] = frame["rows"] / totals
    frame["_o"] = frame["sample"].map({"reference": 0, "current": 1})
    return frame.sort_values(["bin_order", "_o"]).drop(columns="_o").reset_index(drop=True)


# -- output review ---------------------------------------------------------------------------


def output_sample(
    con: duckdb.DuckDBPyConnection, week: dt.date, n: int = 20, seed: str | None = None
) -> pd.DataFrame:
    """A reproducible sample of ``n`` AI outputs of the week: events ordered by
    ``md5(seed || ':' || event_id)`` (seed defaults to the week, ISO text), so the same week
    always gives the same sample, on any machine, and a new event only enters the sample if
    it hashes before the others. Columns: event_id, occurred_at, model_version, segment,
    action_tier, prediction, confidence, inputs (its features as ``name=value`` text)."""
    seed = week.isoformat() if seed is None else seed
    return con.execute(
        """
        with sample as (
            select
                event_id,
                occurred_at,
                model_version,
                segment,
                action_tier,
                prediction,
                confidence
            from staging.ai_events
            where week_start = $1
            order by md5($2 || ':' || event_id), event_id
            limit $3
        ),
        inputs as (
            select
                f.event_id,
                string_agg(
                    f.feature || '=' || coalesce(f.value_cat, cast(round(f.value_num, 4) as varchar)),
                    ', ' order by f.feature
                ) as inputs
            from staging.ai_features as f
            where f.event_id in (select event_id from sample)
            group by f.event_id
        )
        select s.*, coalesce(i.inputs, '') as inputs
        from sample as s
        left join inputs as i
            on i.event_id = s.event_id
        order by md5($2 || ':' || s.event_id), s.event_id
        """,
        [week, seed, n],
    ).df()


def verdict_summary(sample: pd.DataFrame, verdicts: Iterable[OutputVerdict]) -> dict[str, Any]:
    """Counts of the sample's verdicts and the reviewed accuracy (correct / judged).

    >>> from outcomes.store.state import OutputVerdict, Verdict
    >>> at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> v = [OutputVerdict(1, "e1", dt.date(2026, 1, 5), Verdict.correct, "", "ana", at),
    ...      OutputVerdict(2, "e2", dt.date(2026, 1, 5), Verdict.incorrect, "", "ana", at)]
    >>> verdict_summary(pd.DataFrame({"event_id": ["e1", "e2", "e3"]}), v)
    {'sampled': 3, 'judged': 2, 'correct': 1, 'incorrect': 1, 'accuracy': 0.5}
    """
    ids = set(sample["event_id"]) if len(sample) else set()
    mine = [v for v in verdicts if v.event_id in ids]
    correct = sum(1 for v in mine if v.verdict.value == "correct")
    judged = len(mine)
    return {
        "sampled": len(ids),
        "judged": judged,
        "correct": correct,
        "incorrect": judged - correct,
        "accuracy": correct / judged if judged else None,
    }


def attach_verdicts(sample: pd.DataFrame, verdicts: Iterable[OutputVerdict]) -> pd.DataFrame:
    """Add verdict, comment, judged_by, judged_at (latest verdict per event) to the sample."""
    latest = {v.event_id: v for v in sorted(verdicts, key=lambda v: v.id)}
    out = sample.copy()
    ids = list(out["event_id"])

    def column(get: Any) -> pd.Series:
        return pd.Series(
            [get(latest[e]) if e in latest else None for e in ids], dtype=object, index=out.index
        )

    out["verdict"] = column(lambda v: v.verdict.value)
    out["comment"] = column(lambda v: v.comment)
    out["judged_by"] = column(lambda v: v.author)
    out["judged_at"] = column(lambda v: v.created_at)
    return out
