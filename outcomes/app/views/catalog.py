"""The metric catalog: every metric's header beside its last value, status, build and tests
(one metric's page: :mod:`.metric_detail`, :mod:`.metric_lineage`, :mod:`.metric_history`).

Headers come from the SQL files (:func:`outcomes.core.registry.load_registry`), values and build
results from the snapshot, so the catalog also lists a metric whose build failed.

>>> frame = pd.DataFrame({"name": ["accuracy", "latency_p95"], "title": ["Accuracy", "Latency"],
...     "kind": ["model", "model"], "owner": ["ml@x", None], "status": ["ok", "alert"],
...     "description": ["", ""], "tags": ["", "slo"]})
>>> filter_catalog(frame, search="slo")["name"].tolist()
['latency_p95']
>>> filter_catalog(frame, statuses=["alert"], owners=["(unowned)"])["name"].tolist()
['latency_p95']
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.registry_cache import current_registry
from outcomes.app.views.metric_definitions import HEADER_COLUMNS
from outcomes.app.views.systems import dimensions_of
from outcomes.core.formats import format_value
from outcomes.core.headers import MetricHeader
from outcomes.core.registry import Registry
from outcomes.core.thresholds import evaluate_thresholds, thresholds_frame
from outcomes.store.reporting_weeks import last_complete_week

# the app queries behind the catalog table ("show the SQL")
QUERIES = ("catalog_latest_values", "catalog_metric_builds", "catalog_tests")
UNOWNED = "(unowned)"

# what the page's table shows, in this order (link: the metric's page)
SHOWN_COLUMNS = [
    "link",
    "title",
    "kind",
    "unit",
    "owner",
    "thresholds",
    "last",
    "week_start",
    "status",
    "build_status",
    "tests",
]
CATALOG_COLUMNS = [
    *HEADER_COLUMNS,
    "dimensions",
    "tags",
    "description",
    "week_start",
    "value",
    "last",
    "flag",
    "status",
    "build_status",
    "build_error",
    "rows",
    "tests_passed",
    "tests_failed",
    "tests",
]


def catalog(
    con: duckdb.DuckDBPyConnection,
    sql_dir: str | os.PathLike[str],
    system: str | None = None,
) -> pd.DataFrame:
    """One row per metric file under ``sql_dir``: header fields, last complete week's
    total value (the company's, or AI system ``system``'s), its status against the thresholds
    (ok / warn / alert / no thresholds / no data / invalid), the build result and the header
    test results."""
    return catalog_rows(con, current_registry(sql_dir), system)


def catalog_rows(
    con: duckdb.DuckDBPyConnection, registry: Registry, system: str | None = None
) -> pd.DataFrame:
    """:func:`catalog` for a loaded registry."""
    metrics = [d for d in registry.topological() if d.schema == "metrics"]
    week = last_complete_week(con)
    # the newest week up to the last complete one, per metric (sparse metrics skip weeks);
    # the value is that week's total of the company or the system (null if there is none)
    params = {"week": week, "system": system, "total": dimensions_of(system)}
    values = queries.run(con, "catalog_latest_values", params)
    by_metric = {r.metric: r for r in values.itertuples()}
    builds = queries.run(con, "catalog_metric_builds")
    build_by = {r.name: r for r in builds.itertuples()}
    tests = queries.run(con, "catalog_tests")
    levels: dict[str, str] = {}
    thresholds = thresholds_frame(metrics)
    if len(thresholds) and week is not None:
        # qualified: evaluate_thresholds queries a fresh cursor, which starts outside the
        # snapshot's catalog
        alerts = evaluate_thresholds(con, thresholds, table=_qualified(con, "main.metric_values"))
        latest = {r.metric: pd.Timestamp(r.week_start) for r in values.itertuples()}
        # worst level of any dimension set in the metric's latest week
        rank = {"warn": 1, "alert": 2}
        for r in alerts.itertuples():
            if pd.Timestamp(r.week_start) != latest.get(r.metric):
                continue
            if system is not None and json.loads(r.dimensions).get("system") != system:
                continue  # another system's row
            if rank[r.level] > rank.get(levels.get(r.metric, ""), 0):
                levels[r.metric] = r.level
    rows = []
    for d in metrics:
        h = d.header
        assert isinstance(h, MetricHeader)
        value = by_metric.get(d.name)
        build = build_by.get(d.name)
        mine = tests[tests["name"] == d.name] if len(tests) else tests
        failed = mine[mine["status"] != "pass"] if len(mine) else mine
        if build is None:
            status = "not built"
        elif build.status != "ok":
            status = "build " + build.status
        elif value is None:
            status = "no data"
        elif h.thresholds is None:
            status = "no thresholds"
        else:
            status = levels.get(d.name, "ok")
        rows.append(
            {
                "name": d.name,
                "title": h.title,
                "kind": str(h.kind),
                "unit": str(h.unit),
                "direction": str(h.direction),
                "owner": h.owner,
                "thresholds": threshold_text(h),
                "dimensions": ", ".join(h.dimensions),
                "tags": ", ".join(h.tags),
                "description": " ".join(h.description.split()),
                "week_start": value.week_start if value is not None else None,
                "value": value.value if value is not None else None,
                "last": format_value(value.value, str(h.unit))
                if value is not None and not pd.isna(value.value)
                else ("by dimension only" if value is not None else "–"),
                "flag": value.flag if value is not None else None,
                "status": status,
                "build_status": build.status if build is not None else "not built",
                "build_error": build.error if build is not None else None,
                "rows": build.rows if build is not None else None,
                "tests_passed": int((mine["status"] == "pass").sum()) if len(mine) else 0,
                "tests_failed": len(failed),
                "tests": "; ".join(f"{t.test}: {t.status}" for t in failed.itertuples())
                if len(failed)
                else ("all pass" if len(mine) else "none"),
            }
        )
    for broken in registry.broken.values():
        if broken.schema != "metrics":
            continue
        rows.append(
            {
                "name": broken.name,
                "title": broken.name,
                "status": "invalid",
                "build_status": "invalid definition",
                "build_error": broken.message,
                "tests": "none",
                "tests_passed": 0,
                "tests_failed": 0,
            }
        )
    frame = pd.DataFrame(rows, columns=CATALOG_COLUMNS)
    return frame.sort_values("name", kind="stable").reset_index(drop=True)


def threshold_text(header: MetricHeader) -> str:
    """The thresholds of a header in one short phrase ('' when there are none).

    >>> from outcomes.core.headers import Thresholds
    >>> h = MetricHeader(name="a", title="A", description="d", grain="g", kind="model",
    ...     unit="ratio", direction="higher_is_better", thresholds=Thresholds(warn=0.85, alert=0.8))
    >>> threshold_text(h)
    'warn 0.85, alert 0.8'
    """
    t = header.thresholds
    if t is None:
        return ""
    parts = [
        f"{lvl} {getattr(t, lvl):g}" for lvl in ("warn", "alert") if getattr(t, lvl) is not None
    ]
    mode = "" if str(t.mode) == "absolute" else f" ({str(t.mode).replace('_', ' ')})"
    return ", ".join(parts) + mode


def filter_catalog(
    frame: pd.DataFrame,
    search: str = "",
    kinds: Iterable[str] = (),
    owners: Iterable[str] = (),
    statuses: Iterable[str] = (),
) -> pd.DataFrame:
    """Rows matching every given filter: ``search`` (words, all must occur, case-insensitive,
    in name, title, description, owner or tags), kinds, owners (:data:`UNOWNED` for none),
    statuses. Empty filters keep everything."""
    out = frame
    for word in search.lower().split():
        text = (
            out[["name", "title", "description", "owner", "tags"]]
            .fillna("")
            .astype(str)
            .agg(" ".join, axis=1)
            .str.lower()
        )
        out = out[text.str.contains(word, regex=False)]
    kinds, owners, statuses = list(kinds), list(owners), list(statuses)
    if kinds:
        out = out[out["kind"].isin(kinds)]
    if owners:
        owner = out["owner"].fillna(UNOWNED).replace("", UNOWNED)
        out = out[owner.isin(owners)]
    if statuses:
        out = out[out["status"].isin(statuses)]
    return out.reset_index(drop=True)


def filter_options(frame: pd.DataFrame) -> dict[str, list[str]]:
    """The values the catalog can be filtered by: kinds, owners, statuses (sorted)."""
    owners = frame["owner"].fillna(UNOWNED).replace("", UNOWNED)
    return {
        "kinds": sorted(k for k in frame["kind"].dropna().unique()),
        "owners": sorted(owners.unique()),
        "statuses": sorted(frame["status"].dropna().unique()),
    }


def _qualified(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """``name`` prefixed with the connection's current catalog (``warehouse.main.x``)."""
    database = queries.rows(con, "catalog_current_database")[0][0]
    return f'"{database}".{name}'
