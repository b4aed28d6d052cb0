"""The SQL workbench: draft a metric, validate it, preview it in the sandbox, compare it with
the current definition, save it.

- :func:`template` is a new metric file that validates as it is;
- :func:`validate_draft` runs the checks of ``outcomes validate`` on a draft without touching
  ``sql/``: the SQL folder is copied to a temporary folder with the draft in place and loaded
  with :func:`outcomes.core.registry.load_registry`, so header, single SELECT, output columns,
  dependencies and cycles are judged by the same code; errors carry the draft's line;
- :func:`preview_draft` runs the draft's SELECT in :mod:`outcomes.store.sandbox` and extracts the
  weekly series (the all-dimensions rows);
- :func:`sql_diff` and :func:`value_diff` compare with the current file and the current
  snapshot's values;
- :func:`save_draft` writes ``sql/metrics/<name>.sql`` (only with ``allow_sql_edits`` and the
  analyst role), records who and the diff in the audit log, then rebuilds.

A rebuild is a *full* build: ``build_snapshot(only=[name])`` builds only the named
definitions and what they read into a new snapshot that replaces the current one, so every
other metric would vanish from the app until the next full build.

>>> import tempfile, pathlib, shutil
>>> from outcomes.config import PROJECT_ROOT, Settings
>>> d = pathlib.Path(tempfile.mkdtemp()) / "sql"
>>> _ = shutil.copytree(PROJECT_ROOT / "sql", d)
>>> validate_draft(template("my_metric"), "my_metric", Settings(sql_dir=d)).ok
True
>>> errors = validate_draft("select 1", "my_metric", Settings(sql_dir=d)).errors
>>> errors[0].line, "YAML header" in errors[0].message
(1, True)
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from outcomes.config import Settings
from outcomes.core.definition import SqlDefinition
from outcomes.core.headers import HeaderError, MetricHeader, parse_header, split_header
from outcomes.core.registry import RegistryError, load_registry
from outcomes.errors import OutcomesError
from outcomes.store.manifest_file import BuildRecord
from outcomes.store.rebuild import RebuildFailed, rebuild_snapshot
from outcomes.store.sandbox import SandboxRefusal, SandboxResult, run_sandboxed

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
    """The saved file of metric ``name`` (None for a new metric)."""
    path = metric_path(settings, name)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class DraftProblem:
    """One problem; ``line`` is a line of the draft (None when it concerns the whole file or
    ``file`` is another definition that the draft breaks)."""

    line: int | None
    message: str
    file: str | None = None  # another file's path relative to sql_dir, when not the draft

    def __str__(self) -> str:
        where = f"{self.file}:" if self.file else ""
        return f"{where}line {self.line}: {self.message}" if self.line else f"{where}{self.message}"


@dataclass(frozen=True)
class Validation:
    ok: bool
    errors: tuple[DraftProblem, ...]
    definition: SqlDefinition | None  # the checked draft (paths point to a removed temp folder)

    def errors_on_line(self) -> dict[int, list[str]]:
        """``{line: [messages]}`` for the draft's own errors that have a line."""
        out: dict[int, list[str]] = {}
        for e in self.errors:
            if e.line and not e.file:
                out.setdefault(e.line, []).append(e.message)
        return out


def validate_draft(text: str, name: str, settings: Settings) -> Validation:
    """Check ``text`` as ``sql/metrics/<name>.sql`` with the rules of ``outcomes validate``.

    Problems in other files are reported only when the draft causes them (they were not
    there before): a dependency cycle, a dependent that reads a column... by name.
    """
    from outcomes.app.views.metric_detail import is_metric_name

    if not is_metric_name(name):
        return Validation(
            False,
            (
                DraftProblem(
                    None,
                    f"{name!r} cannot name a metric file; fix: a lowercase identifier "
                    "(a-z, 0-9, _), starting with a letter",
                ),
            ),
            None,
        )
    source = Path(settings.sql_dir)
    with tempfile.TemporaryDirectory(prefix="outcomes-draft-") as tmp:
        root = Path(tmp) / "sql"
        if source.is_dir():
            shutil.copytree(source, root, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        (root / "metrics").mkdir(parents=True, exist_ok=True)
        draft_path = root / "metrics" / f"{name}.sql"
        before = _error_texts(root, exclude=draft_path)
        draft_path.write_text(text, encoding="utf-8")
        try:
            registry = load_registry(root, strict=False)
        except RegistryError as exc:  # the folder itself is unusable
            return Validation(
                False, tuple(DraftProblem(e.line, e.message) for e in exc.errors), None
            )
        errors: list[DraftProblem] = []
        for e in registry.errors:
            if e.path == draft_path:
                errors.append(DraftProblem(e.line, e.message))
            elif (str(e.path.relative_to(root)), e.line, e.message) not in before:
                errors.append(DraftProblem(e.line, e.message, str(e.path.relative_to(root))))
        definition = registry.definitions.get(f"metrics.{name}")
    return Validation(not errors, tuple(errors), definition if not errors else None)


def _error_texts(root: Path, exclude: Path) -> set[tuple[str, int | None, str]]:
    """Errors already present in ``root`` (without the draft file), to tell them apart."""
    had = exclude.read_bytes() if exclude.exists() else None
    if had is not None:
        exclude.unlink()
    try:
        registry = load_registry(root, strict=False)
    except RegistryError:
        return set()
    finally:
        if had is not None:
            exclude.write_bytes(had)
    return {(str(e.path.relative_to(root)), e.line, e.message) for e in registry.errors}


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


def preview_draft(text: str, settings: Settings) -> Preview:
    """Run the draft's SELECT in the sandbox (raises :class:`outcomes.store.sandbox.SandboxRefusal`)
    and take its weekly all-dimensions series for the chart."""
    body, _ = draft_body(text)
    result = run_sandboxed(body, settings)
    series, note = weekly_series(result.frame, draft_dimensions(text))
    if result.truncated and not note:
        note = f"the series covers only the first {result.row_limit:,} rows"
    return Preview(result, series, note)


def try_preview(text: str, settings: Settings) -> tuple[Preview | None, str | None]:
    """:func:`preview_draft`, or (None, why the sandbox refused it, as Markdown)."""
    try:
        return preview_draft(text, settings), None
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


class SaveRefused(OutcomesError, PermissionError):
    """Saving is switched off, the role may not, or the draft is invalid (``reason``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def can_save(settings: Settings, role: str) -> tuple[bool, str]:
    """Whether a draft may be written to ``sql/`` by ``role`` (else why not).

    >>> can_save(Settings(allow_sql_edits=False), "analyst")[0]
    False
    >>> can_save(Settings(allow_sql_edits=True), "analyst")
    (True, '')
    """
    if not settings.allow_sql_edits:
        return False, (
            "Saving from the app is switched off (allow_sql_edits = false): download the file "
            "and commit it to sql/metrics/, or ask an admin to set OUTCOMES_ALLOW_SQL_EDITS=true."
        )
    if role != "analyst":
        return (
            False,
            f"Only analysts save metric SQL; your role is {role}. Download the file instead.",
        )
    return True, ""


@dataclass(frozen=True)
class SaveResult:
    path: Path
    created: bool  # a new metric file
    audit_id: int
    diff: str
    build: BuildRecord | None  # None when the build could not run
    build_error: str | None
    message: str = field(default="")


def save_draft(
    text: str,
    name: str,
    settings: Settings,
    *,
    actor: str,
    role: str,
    rebuild: bool = True,
) -> SaveResult:
    """Write the draft to ``sql/metrics/<name>.sql``, log it (who, when, the diff), then
    rebuild the snapshot (full build, see the module docstring).

    Raises :class:`SaveRefused` when saving is switched off, the role is not analyst, the
    actor is empty, or the draft does not validate. The file is written atomically.
    """
    from outcomes.store.state import StateStore

    allowed, why = can_save(settings, role)
    if not allowed:
        raise SaveRefused(why)
    if not actor.strip():
        raise SaveRefused("Enter your name in the sidebar first: the audit log records who saved.")
    validation = validate_draft(text, name, settings)
    if not validation.ok:
        raise SaveRefused(
            "The draft does not validate; fix these first: "
            + "; ".join(str(e) for e in validation.errors)
        )
    path = metric_path(settings, name)
    current = current_text(settings, name)
    diff = sql_diff(current, text, name)
    if current == text:
        raise SaveRefused("Nothing to save: the draft is the same as the saved file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    audit_id = StateStore(settings.state_path).log(
        actor.strip(),
        "edit_sql",
        "metric",
        name,
        {
            "path": str(path),
            "created": current is None,
            "summary": "new metric" if current is None else "definition changed",
            "sha256_before": hashlib.sha256(current.encode()).hexdigest() if current else None,
            "sha256_after": hashlib.sha256(text.encode()).hexdigest(),
            "diff": diff,
            "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    )
    build, build_error = None, None
    if rebuild:
        try:
            build = rebuild_snapshot(settings)
        except RebuildFailed as exc:
            build_error = str(exc)
    return SaveResult(path, current is None, audit_id, diff, build, build_error)


def download_name(name: str) -> str:
    """File name offered for download.

    >>> download_name("hours_saved")
    'hours_saved.sql'
    """
    return f"{name}.sql"
