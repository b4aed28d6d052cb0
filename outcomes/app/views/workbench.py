"""The SQL workbench: draft a metric, preview it in the sandbox, compare it with the current
definition (validating: :mod:`.draft_validation`; saving: :mod:`.draft_save`).

- :func:`template` is a new metric file that validates as it is;
- :func:`preview_draft` runs the draft's SELECT in :mod:`outcomes.store.sandbox` and extracts the
  weekly series (the all-dimensions rows);
- :func:`sql_diff` and :func:`value_diff` compare with the current file and the current
  snapshot's values; :func:`comparison_chart` draws both series.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd

from outcomes.app.charts import trend_chart
from outcomes.config import Settings
from outcomes.core.authz import Action, Identity, NotAllowed, authorise
from outcomes.core.blueprints import is_family, metric_file
from outcomes.core.headers import HeaderError, MetricHeader, parse_header, split_header
from outcomes.store.sandbox import SandboxResult, run_sandboxed
from outcomes.store.sandbox_statement import SandboxRefusal

TEMPLATE = """/* ---
name: {name}
title: {title}
description: >
  What the number is, how it is computed, and which rows are flagged (partial = the
  unfinished current week).
grain: One row per reporting week.
kind: business
unit: count
direction: higher_is_better
owner: you@example.com
tests:
  - not_null(value)
  - unique(week_start)
--- */
with events as (
    select
        week_start,
        event_id
    from staging.ai_events
),

counted as (
    select
        week_start,
        count(*) as events
    from events
    group by week_start
)

select
    c.week_start,
    c.events::double as value,
    case when w.is_partial then 'partial' end as flag
from counted as c
left join staging.weeks as w
    on w.week_start = c.week_start
"""


def template(name: str) -> str:
    """A new metric file named ``name`` (valid as it is: weekly count of AI events).

    >>> template("demo_count").splitlines()[1]
    'name: demo_count'
    """
    title = name.replace("_", " ").capitalize()
    return TEMPLATE.format(name=name, title=title)


def metric_path(settings: Settings, name: str) -> Path:
    """``<sql_dir>/metrics/<name>.sql``."""
    return Path(settings.sql_dir) / "metrics" / f"{name}.sql"


def current_text(settings: Settings, name: str) -> str | None:
    """The saved text of metric ``name``: its file, or its text as its family file's blueprints
    make it (:func:`family_file`); None for a new metric."""
    found = metric_file(Path(settings.sql_dir) / "metrics", name)
    return None if found is None else found.text


def family_file(settings: Settings, name: str) -> Path | None:
    """The family file whose blueprints make metric ``name`` (:mod:`outcomes.core.blueprints`),
    None when the metric has a file of its own or does not exist. The workbench edits one-metric
    files: a family is changed in its file, for all its metrics at once."""
    found = metric_file(Path(settings.sql_dir) / "metrics", name)
    return found.path if found is not None and found.family else None


def first_editable(settings: Settings, names: list[str]) -> str | None:
    """The first of ``names`` the workbench can save (a metric with a file of its own), else
    the first name; None for no names."""
    return next((n for n in names if family_file(settings, n) is None), names[0] if names else None)


def family_refusal(settings: Settings, name: str) -> str | None:
    """Why the workbench does not save or delete metric ``name`` (None when it may)."""
    own = metric_path(settings, name)
    if own.is_file() and is_family(own.read_text(encoding="utf-8")):
        return (
            f"sql/metrics/{own.name} is a family file (its blueprints make several metrics); "
            "change it as a file, not from the workbench"
        )
    family = family_file(settings, name)
    if family is None:
        return None
    return (
        f"{name} is one of the metrics the blueprints of sql/metrics/{family.name} make; "
        f"change it in that file (every metric of the family at once), not as a file of its own"
    )


def draft_body(text: str) -> tuple[str, int]:
    """The SQL after the header and the file line it starts on (the whole text, line 1,
    when there is no readable header).

    >>> draft_body("/* ---\\nname: x\\n--- */\\nselect 1")
    ('\\nselect 1', 3)
    """
    try:
        _, _, body, body_line, _ = split_header(text)
    except HeaderError:
        return text, 1
    return body, body_line


def draft_dimensions(text: str) -> tuple[str, ...]:
    """The header's dimensions, or () when the header does not parse."""
    try:
        header = parse_header(text, "metrics").header
    except HeaderError:
        return ()
    return tuple(getattr(header, "dimensions", ()))


def draft_header(text: str) -> MetricHeader | None:
    try:
        header = parse_header(text, "metrics").header
    except HeaderError:
        return None
    return header if isinstance(header, MetricHeader) else None


def error_context(text: str, line: int, around: int = 2) -> str:
    """The lines around ``line`` of ``text``, numbered, the line itself marked ``>``.

    >>> print(error_context("a\\nb\\nc", 2, around=1))
      1 | a
    > 2 | b
      3 | c
    """
    lines = text.splitlines()
    first, last = max(1, line - around), min(len(lines), line + around)
    width = len(str(last))
    return "\n".join(
        f"{'>' if n == line else ' '} {n:>{width}} | {lines[n - 1]}" for n in range(first, last + 1)
    )


@dataclass(frozen=True)
class Preview:
    result: SandboxResult
    series: pd.DataFrame  # week_start, value, flag: the all-dimensions rows, by week
    note: str  # why there is no series, when it is empty


def preview_draft(text: str, settings: Settings, *, who: Identity | None) -> Preview:
    """Run the draft's SELECT in the sandbox, if ``who`` may preview (analysts and admins;
    :class:`~outcomes.core.authz.NotAllowed` otherwise), and take its weekly all-dimensions
    series for the chart. A refused query raises
    :class:`~outcomes.store.sandbox_statement.SandboxRefusal`."""
    authorise(who, Action.preview_sql)
    body, _ = draft_body(text)
    result = run_sandboxed(body, settings)
    series, note = weekly_series(result.frame, draft_dimensions(text))
    if result.truncated and not note:
        note = f"the series covers only the first {result.row_limit:,} rows"
    return Preview(result, series, note)


def try_preview(
    text: str, settings: Settings, who: Identity | None
) -> tuple[Preview | None, str | None]:
    """:func:`preview_draft`, or (None, why it was refused, as Markdown)."""
    try:
        return preview_draft(text, settings, who=who), None
    except NotAllowed as refusal:
        return None, f"**Refused.** {refusal}"
    except SandboxRefusal as refusal:
        return None, f"**Refused ({refusal.kind.replace('_', ' ')}).** {refusal.reason}"


def weekly_series(frame: pd.DataFrame, dimensions: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    """``(week_start, value, flag)`` rows whose dimensions are all null (the totals),
    and a note when there are none.

    >>> f = pd.DataFrame({"week_start": ["2026-01-05", "2026-01-05"], "seg": ["a", None],
    ...                   "value": [1.0, 3.0]})
    >>> weekly_series(f, ("seg",))[0]["value"].tolist()
    [3.0]
    """
    empty = pd.DataFrame({"week_start": pd.Series(dtype="datetime64[ns]"), "value": [], "flag": []})
    missing = [c for c in ("week_start", "value") if c not in frame.columns]
    if missing:
        return empty, f"no chart: the result has no {' or '.join(missing)} column"
    rows = frame
    present = [d for d in dimensions if d in frame.columns]
    if present:
        rows = rows[rows[present].isna().all(axis=1)]
    if rows.empty:
        return empty, "no chart: no all-dimensions total rows (dimensions null) in the result"
    out = pd.DataFrame(
        {
            "week_start": pd.to_datetime(rows["week_start"], errors="coerce"),
            "value": pd.to_numeric(rows["value"], errors="coerce"),
            "flag": rows["flag"] if "flag" in rows.columns else None,
        }
    )
    out = out.dropna(subset=["week_start"]).sort_values("week_start").reset_index(drop=True)
    return out, ""


def sql_diff(current: str | None, draft: str, name: str) -> str:
    """Unified diff from the saved file to the draft ('' when they are the same).

    >>> print(sql_diff("select 1\\n", "select 2\\n", "x"))  # doctest: +NORMALIZE_WHITESPACE
    --- sql/metrics/x.sql (saved)
    +++ sql/metrics/x.sql (draft)
    @@ -1 +1 @@
    -select 1
    +select 2
    """
    before = (current or "").splitlines(keepends=True)
    after = draft.splitlines(keepends=True)
    if before and not before[-1].endswith("\n"):
        before[-1] += "\n"
    if after and not after[-1].endswith("\n"):
        after[-1] += "\n"
    label = f"sql/metrics/{name}.sql"
    return "".join(
        difflib.unified_diff(
            before,
            after,
            fromfile=f"{label} ({'saved' if current is not None else 'new file'})",
            tofile=f"{label} (draft)",
        )
    )


def value_diff(current: pd.DataFrame, draft: pd.DataFrame) -> pd.DataFrame:
    """Per week: current value, draft value, difference and relative change (weeks present
    in either), from two ``week_start, value`` frames.

    >>> cur = pd.DataFrame({"week_start": pd.to_datetime(["2026-01-05"]), "value": [2.0]})
    >>> new = pd.DataFrame({"week_start": pd.to_datetime(["2026-01-05", "2026-01-12"]),
    ...                     "value": [3.0, 1.0]})
    >>> value_diff(cur, new)[["current", "draft", "difference"]].values.tolist()
    [[2.0, 3.0, 1.0], [nan, 1.0, nan]]
    """
    a = current[["week_start", "value"]].rename(columns={"value": "current"}).copy()
    b = draft[["week_start", "value"]].rename(columns={"value": "draft"}).copy()
    a["week_start"] = pd.to_datetime(a["week_start"])
    b["week_start"] = pd.to_datetime(b["week_start"])
    out = a.merge(b, on="week_start", how="outer").sort_values("week_start")
    out["difference"] = out["draft"] - out["current"]
    denominator = out["current"].abs().where(out["current"] != 0)
    out["change_pct"] = out["difference"] / denominator
    tolerance = 1e-9 * out["current"].abs().clip(lower=1)
    out["changed"] = (out["difference"].abs() > tolerance) | (
        out["current"].isna() != out["draft"].isna()
    )
    return out.reset_index(drop=True)


def comparison_series(current: pd.DataFrame, draft: pd.DataFrame) -> pd.DataFrame:
    """Both series stacked with a ``version`` column (``current`` / ``draft``) for one chart."""
    parts = []
    for version, frame in (("current", current), ("draft", draft)):
        if frame is not None and len(frame):
            part = frame[["week_start", "value"]].copy()
            part["flag"] = frame["flag"] if "flag" in frame.columns else None
            part["version"] = version
            parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["week_start", "value", "flag", "version"])
    out = pd.concat(parts, ignore_index=True)
    out["week_start"] = pd.to_datetime(out["week_start"])
    return out


def comparison_chart(
    text: str, name: str, current: pd.DataFrame | None, draft: pd.DataFrame
) -> alt.LayerChart:
    """The draft's weekly series beside the saved one's (if any), titled and scaled by the
    draft's header (its name when the header does not parse)."""
    header = draft_header(text)
    title = header.title if header else name
    return trend_chart(
        comparison_series(current if current is not None else draft.iloc[0:0], draft),
        title=f"{title}: draft vs saved, weekly (all dimensions)",
        y_title=title,
        unit=str(header.unit) if header else None,
        thresholds=header.thresholds.model_dump(mode="json")
        if header and header.thresholds
        else None,
        color_field="version",
    )


def download_name(name: str) -> str:
    """File name offered for download.

    >>> download_name("hours_saved")
    'hours_saved.sql'
    """
    return f"{name}.sql"
