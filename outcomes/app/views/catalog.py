"""The metric catalog: every metric's header beside its last value, status, build and tests;
one metric's lineage both ways; its history of changes.

Headers come from the SQL files (:func:`outcomes.core.registry.load_registry`), values and build
results from the snapshot, so the catalog also lists a metric whose build failed.

Which pages use a metric: every ``pages/*.py`` file is parsed with :mod:`ast` and a page
counts when one of its string literals is exactly the metric's name (e.g.
``ui.load(warehouse.metric_series, "accuracy")``). Pages that list every metric (overview,
catalog) are not named for each metric: they do not depend on any one of them.

>>> frame = pd.DataFrame({"name": ["accuracy", "latency_p95"], "title": ["Accuracy", "Latency"],
...     "kind": ["model", "model"], "owner": ["ml@x", None], "status": ["ok", "alert"],
...     "description": ["", ""], "tags": ["", "slo"]})
>>> filter_catalog(frame, search="slo")["name"].tolist()
['latency_p95']
>>> filter_catalog(frame, statuses=["alert"], owners=["(unowned)"])["name"].tolist()
['latency_p95']
"""

from __future__ import annotations

import ast
import datetime as dt
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from outcomes.app.charts import format_value
from outcomes.config import SHIPPED_DIR, Settings
from outcomes.core.definition import SqlDefinition
from outcomes.core.headers import MetricHeader
from outcomes.core.registry import Registry, load_registry
from outcomes.core.thresholds import evaluate_thresholds, thresholds_frame
from outcomes.store.reporting_weeks import last_complete_week

UNOWNED = "(unowned)"
PAGES_DIR = SHIPPED_DIR / "app_pages"
APP_FILE = SHIPPED_DIR / "app.py"

CATALOG_COLUMNS = [
    "name",
    "title",
    "kind",
    "unit",
    "direction",
    "owner",
    "thresholds",
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


def catalog(con: duckdb.DuckDBPyConnection, sql_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per metric file under ``sql_dir``: header fields, last complete week's
    all-dimensions value, its status against the thresholds (ok / warn / alert / no
    thresholds / no data / invalid), the build result and the header test results."""
    return catalog_rows(con, load_registry(sql_dir, strict=False))


def catalog_rows(con: duckdb.DuckDBPyConnection, registry: Registry) -> pd.DataFrame:
    """:func:`catalog` for a loaded registry."""
    metrics = [d for d in registry.topological() if d.schema == "metrics"]
    week = last_complete_week(con)
    # the newest week up to the last complete one, per metric (sparse metrics skip weeks);
    # the value is that week's all-dimensions total (null if the metric has none)
    values = _frame(
        con,
        """
        with latest as (
            select metric, max(week_start) as week_start
            from main.metric_values
            where week_start <= ?
            group by metric
        )
        select
            l.metric,
            l.week_start,
            max(v.value) filter (where v.dimensions = '{}') as value,
            max(v.flag) filter (where v.dimensions = '{}') as flag
        from latest as l
        inner join main.metric_values as v
            on v.metric = l.metric
            and v.week_start = l.week_start
        group by l.metric, l.week_start
        """,
        [week],
    )
    by_metric = {r.metric: r for r in values.itertuples()}
    builds = _frame(
        con, "select name, status, error, rows from main.build_objects where kind = 'metric'"
    )
    build_by = {r.name: r for r in builds.itertuples()}
    tests = _frame(con, "select name, test, status, message from main.build_tests")
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


@dataclass(frozen=True)
class Lineage:
    """Where a metric comes from and where it goes (qualified names, sorted)."""

    name: str
    reads: tuple[str, ...]  # tables and views it reads directly (raw.x, staging.x, metrics.x)
    upstream: tuple[str, ...]  # every definition it reads, directly or not
    raw_tables: tuple[str, ...]  # raw tables underneath, directly or not
    metrics: tuple[str, ...]  # metrics that read it, directly or not
    roi_lines: tuple[str, ...]  # ROI lines that read it, directly or not
    pages: tuple[tuple[str, str], ...]  # (page file, page title) naming the metric


def lineage(registry: Registry, name: str, pages_dir: Path | None = None) -> Lineage:
    """Lineage of metric ``name`` both ways; KeyError if there is no such definition.

    >>> import pathlib
    >>> from outcomes.config import BUNDLED_SQL_DIR
    >>> reg = load_registry(BUNDLED_SQL_DIR)
    >>> lin = lineage(reg, "accuracy")
    >>> "staging.ai_events" in lin.reads, "raw.feedback" in lin.raw_tables
    (True, True)
    """
    q = registry.resolve(name)
    item = registry.definitions.get(q) or registry.broken[q]
    dependents = registry.dependents(q)
    short = q.split(".", 1)[1]
    return Lineage(
        name=short,
        reads=tuple(sorted(item.reads)),
        upstream=registry.upstream(q),
        raw_tables=registry.raw_tables(q),
        metrics=tuple(sorted(d for d in dependents if d.startswith("metrics."))),
        roi_lines=tuple(sorted(d for d in dependents if d.startswith("roi."))),
        pages=pages_using(short, pages_dir),
    )


def pages_using(name: str, pages_dir: Path | None = None) -> tuple[tuple[str, str], ...]:
    """Pages (file, title) with a string literal equal to ``name``."""
    pages_dir = pages_dir or PAGES_DIR
    titles = page_titles(pages_dir.parent / "app.py")
    found = []
    for path in sorted(pages_dir.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        literals = {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
        if name in literals:
            rel = f"app_pages/{path.name}"
            found.append((rel, titles.get(rel, path.stem)))
    return tuple(found)


def page_titles(app_file: Path | None = None) -> dict[str, str]:
    """``{"app_pages/x.py": "Title"}`` from the ``st.Page(...)`` calls of app.py."""
    app_file = app_file or APP_FILE
    try:
        tree = ast.parse(app_file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return {}
    titles = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                title = next(
                    (
                        k.value.value
                        for k in node.keywords
                        if k.arg == "title" and isinstance(k.value, ast.Constant)
                    ),
                    first.value,
                )
                titles[first.value] = str(title)
    return titles


@dataclass(frozen=True)
class MetricDetail:
    """Everything the metric page shows that comes from the files and the snapshot."""

    name: str
    valid: bool
    header: dict[str, object]  # header fields as plain values ({} when the file is broken)
    sql: str
    path: str
    errors: tuple[str, ...]  # the file's definition errors, when broken
    lineage: Lineage
    tests: pd.DataFrame  # test, status, failing_rows, message (this build)
    build: dict[str, object]  # status, error, rows, duration_ms of this build


def metric_detail(
    con: duckdb.DuckDBPyConnection, sql_dir: str | os.PathLike[str], name: str
) -> MetricDetail:
    """One metric's header, SQL, lineage, build result and tests (KeyError if unknown)."""
    registry = load_registry(sql_dir, strict=False)
    q = registry.resolve(name)
    if not q.startswith("metrics."):
        raise KeyError(f"{name!r} is not a metric ({q})")
    definition = registry.definitions.get(q)
    broken = registry.broken.get(q)
    item = definition or broken
    assert item is not None
    sql = Path(item.path).read_text(encoding="utf-8", errors="replace")
    tests = _frame(
        con,
        "select test, status, failing_rows, message from main.build_tests where name = ? "
        "order by test",
        [item.name],
    )
    builds = _frame(
        con,
        "select status, error, rows, duration_ms from main.build_objects "
        "where kind = 'metric' and name = ?",
        [item.name],
    )
    build = builds.iloc[0].to_dict() if len(builds) else {"status": "not built"}
    header = definition.header.model_dump(mode="json") if definition is not None else {}
    return MetricDetail(
        name=item.name,
        valid=definition is not None,
        header=header,
        sql=sql,
        path=str(item.path),
        errors=tuple(str(e) for e in (broken.errors if broken is not None else ())),
        lineage=lineage(registry, q),
        tests=tests,
        build=build,
    )


HISTORY_COLUMNS = ["at", "who", "source", "what", "detail"]


def history(settings: Settings, name: str, *, git: bool = True) -> pd.DataFrame:
    """Changes to metric ``name``, newest first: the app's audit log (who saved what, with the
    diff in ``detail``) and, when the SQL folder is in a git work tree, ``git log --follow``
    of its file (local only, no network)."""
    from outcomes.store.state import StateStore

    rows = []
    for entry in StateStore(settings.state_path).audit_log(entity="metric", entity_key=name):
        detail = entry.detail if isinstance(entry.detail, dict) else {}
        rows.append(
            {
                "at": _naive_utc(entry.at),
                "who": entry.actor,
                "source": "app",
                "what": entry.action + (f": {detail['summary']}" if detail.get("summary") else ""),
                "detail": detail.get("diff", ""),
            }
        )
    if git:
        rows.extend(git_history(Path(settings.sql_dir) / "metrics" / f"{name}.sql"))
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    if len(frame):
        frame = frame.sort_values("at", ascending=False, kind="stable").reset_index(drop=True)
    return frame


_GIT_SEP = "\x1f"


def git_history(path: Path, limit: int = 50) -> list[dict[str, object]]:
    """Commits that touched ``path`` (following renames), newest first; [] without git."""
    git = shutil.which("git")
    if git is None or not path.parent.exists():
        return []
    try:
        out = subprocess.run(
            [
                git,
                "-C",
                str(path.parent),
                "log",
                "--follow",
                f"-n{limit}",
                f"--format=%H{_GIT_SEP}%an{_GIT_SEP}%aI{_GIT_SEP}%s",
                "--",
                path.name,
            ],
            capture_output=True,
            text=True,
            timeout=10,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if out.returncode != 0:
        return []
    rows: list[dict[str, object]] = []
    for line in out.stdout.splitlines():
        parts = line.split(_GIT_SEP)
        if len(parts) != 4:
            continue
        sha, author, when, subject = parts
        rows.append(
            {
                "at": _naive_utc(dt.datetime.fromisoformat(when)),
                "who": author,
                "source": "git",
                "what": f"commit {sha[:10]}: {subject}",
                "detail": "",
            }
        )
    return rows


def definition_for(registry: Registry, name: str) -> SqlDefinition | None:
    """The valid definition of metric ``name`` (None when missing or broken)."""
    try:
        q = registry.resolve(name)
    except KeyError:
        return None
    return registry.definitions.get(q)


def metric_names(registry: Registry) -> list[str]:
    """Every metric file's name (valid or broken), sorted."""
    names = {d.name for d in registry.definitions.values() if d.schema == "metrics"}
    names |= {b.name for b in registry.broken.values() if b.schema == "metrics"}
    return sorted(names)


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def is_metric_name(text: str) -> bool:
    """Whether ``text`` can name a metric file (lowercase identifier).

    >>> is_metric_name("hours_saved"), is_metric_name("Hours saved")
    (True, False)
    """
    return bool(_NAME.match(text))


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _qualified(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """``name`` prefixed with the connection's current catalog (``warehouse.main.x``)."""
    database = con.execute("select current_database()").fetchall()[0][0]
    return f'"{database}".{name}'
