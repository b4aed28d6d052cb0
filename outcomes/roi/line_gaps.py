"""Why a ROI line has no figures, and whether the figures rest on the demo's assumptions.

A customer's install starts with an empty register: until the assumptions a line reads are
in it, the line has no ledger rows. :func:`line_gaps` names, for every line without rows (or
without rows in some weeks), each assumption missing from the register and each input with no
data, and says how to add it. :func:`demo_assumption_keys` says when the assumptions in force
were loaded from the demo's files (``outcomes demo``), so the page can say its figures are
built on demo assumptions.

>>> g = LineGap("errors_avoided", "Errors avoided", missing_assumptions=("cost_per_error",))
>>> print(g.describe("assumptions.csv"))
Errors avoided (errors_avoided): no figures: the register has no cost_per_error; add it with `outcomes assumptions set cost_per_error VALUE --unit UNIT --effective-from YYYY-MM-DD --why "..."` (or a row in assumptions.csv), then `outcomes build`
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from outcomes.config import Settings
from outcomes.core.registry import Registry, load_registry
from outcomes.roi.fetch import fetch_rows
from outcomes.roi.line_specs import LineSpec, line_specs


@dataclass(frozen=True)
class LineGap:
    """A ROI line with no figures (or none from some week on), and what it lacks."""

    line_id: str
    title: str
    missing_assumptions: tuple[str, ...] = ()
    late_assumptions: tuple[tuple[str, dt.date], ...] = ()  # key, first effective_from
    empty_inputs: tuple[str, ...] = ()  # metric / cost / events inputs with no data at all
    problem: str | None = None  # an invalid line header

    def describe(self, register_file: str = "assumptions.csv") -> str:
        """One line: what is missing and how to add it."""
        head = f"{self.title} ({self.line_id}): no figures"
        if self.problem:
            return f"{head}: {self.problem}"
        parts = []
        if self.missing_assumptions:
            keys = ", ".join(self.missing_assumptions)
            first = self.missing_assumptions[0]
            parts.append(
                f"the register has no {keys}; add "
                f"{'it' if len(self.missing_assumptions) == 1 else 'each'} with `outcomes "
                f"assumptions set {first} VALUE --unit UNIT --effective-from YYYY-MM-DD --why "
                f'"..."` (or a row in {register_file}), then `outcomes build`'
            )
        if self.empty_inputs and not self.missing_assumptions:  # else a consequence of them
            parts.append(
                f"no data for {', '.join(self.empty_inputs)}; load it with `outcomes ingest`"
                " (docs/DATA.md names the tables), then `outcomes build`"
            )
        if self.late_assumptions:
            head = f"{self.title} ({self.line_id}): no figures before"
            parts = [
                ", ".join(f"{d.isoformat()} ({k} starts then)" for k, d in self.late_assumptions)
                + "; add a version effective from the first week with `outcomes assumptions set`"
            ]
        return f"{head}: " + "; ".join(parts) if parts else head


def line_gaps(con: duckdb.DuckDBPyConnection, registry: Registry) -> list[LineGap]:
    """The ROI lines of ``registry`` that have no ledger rows in the snapshot, or that start
    after the first reporting week because an assumption starts later, with what each lacks."""
    specs, problems = line_specs(registry)
    register = _first_versions(con)
    counts = _ledger_counts(con)
    first_week = _first_event_week(con)
    gaps = [LineGap(line_id, line_id, problem=p) for line_id, p in sorted(problems.items())]
    for spec in specs:
        keys = [i.ref for i in spec.inputs if i.source_type == "assumption"]
        missing = tuple(k for k in keys if k not in register)
        found = counts.get(spec.line_id)
        if found is None:
            empty = tuple(i.source_ref for i in spec.inputs if not _has_data(con, spec, i.name))
            gaps.append(LineGap(spec.line_id, spec.title, missing, (), empty))
            continue
        late = tuple(
            (k, register[k])
            for k in keys
            if k in register and first_week is not None and register[k] > first_week
        )
        if late and found[0] > (first_week or found[0]):
            gaps.append(LineGap(spec.line_id, spec.title, late_assumptions=late))
    return gaps


def demo_assumption_keys(con: duckdb.DuckDBPyConnection, demo_dir: Path | str) -> list[str]:
    """Keys of the assumptions in force that were loaded from the demo's files (the register
    of ``outcomes demo``, which is demo data, not the customer's)."""
    prefix = str(Path(demo_dir).resolve())
    try:
        rows = fetch_rows(
            con,
            "select distinct a.key from staging.assumptions as a "
            "inner join raw.loads as l on l.load_id = a.load_id "
            "where starts_with(l.source_file, ?) order by 1",
            [prefix],
        )
    except duckdb.Error:
        return []
    return [k for (k,) in rows]


def _first_versions(con: duckdb.DuckDBPyConnection) -> dict[str, dt.date]:
    try:
        rows = fetch_rows(
            con, "select key, min(effective_from) from staging.assumptions group by key"
        )
    except duckdb.Error:
        return {}
    return dict(rows)


def _first_event_week(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The first reporting week (the week of the first AI event): lines should start there."""
    try:
        return fetch_rows(con, "select min(week_start) from staging.weeks")[0][0]
    except duckdb.Error:
        return None


def _ledger_counts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[dt.date, int]]:
    try:
        rows = fetch_rows(
            con, "select line_id, min(week_start), count(*) from main.roi_ledger group by 1"
        )
    except duckdb.Error:
        return {}
    return {line: (first, n) for line, first, n in rows}


def _has_data(con: duckdb.DuckDBPyConnection, spec: LineSpec, name: str) -> bool:
    """True when a non-assumption input has any figure in the snapshot (assumptions: True)."""
    i = next(i for i in spec.inputs if i.name == name)
    queries: dict[str, tuple[str, list[object]]] = {
        "metric": (
            "select count(*) from main.metric_values where metric = ? and dimensions = '{}'",
            [i.metric],
        ),
        "cost_rows": ("select count(*) from staging.cost_weeks where category = ?", [i.ref]),
        "events": ("select count(*) from staging.ai_events", []),
    }
    if i.source_type not in queries:
        return True
    sql, args = queries[i.source_type]
    try:
        return bool(fetch_rows(con, sql, args)[0][0])
    except duckdb.Error:
        return False


def describe_gaps(gaps: Sequence[LineGap], register_file: str = "assumptions.csv") -> list[str]:
    """:meth:`LineGap.describe` of each gap."""
    return [g.describe(register_file) for g in gaps]


def summary_notes(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    """What ``outcomes roi summary`` prints under the figures: the lines without figures and
    what they lack, and whether the assumptions in force are the demo's."""
    notes = [
        f"  no figures: {g}"
        for g in describe_gaps(
            line_gaps(con, load_registry(settings.sql_dir, strict=False)),
            str(settings.assumptions_file),
        )
    ]
    demo = demo_assumption_keys(con, settings.demo_dir)
    if demo:
        notes.append(
            f"  note: built on the demo's assumptions ({', '.join(demo)}), not your own: set "
            "yours with `outcomes assumptions set` and rebuild"
        )
    return notes
