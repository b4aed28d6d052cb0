"""Whether a period's figures are final: partial weeks, provisional lines, failed inputs.

A period is closable when every week in it is complete at the build's ``as_of`` (the week has
ended: ``as_of >= week_start + 7 days``, as ``staging.weeks.is_partial`` says), no ledger row
reads a metric flagged ``provisional`` that week (few labels yet), and no ROI line depends on
a definition that failed in the build. The ROI page badges its headline with the same facts.

>>> s = PeriodStatus("2026-11", partial_weeks=(dt.date(2026, 11, 30),), provisional=())
>>> s.final, s.badges()
(False, ['partial: week of 2026-11-30 not over'])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb

from outcomes.core.periods import Period
from outcomes.roi.fetch import fetch_rows
from outcomes.roi.ledger import LedgerRow

SCHEMA_OF_KIND = {"staging": "staging", "metric": "metrics", "roi": "roi"}


@dataclass(frozen=True)
class ProvisionalLine:
    """A ledger row that reads a metric flagged provisional in its week."""

    week_start: dt.date
    line_id: str
    metric: str


@dataclass(frozen=True)
class PeriodStatus:
    """What keeps a period's figures from being final (empty tuples: final)."""

    label: str
    partial_weeks: tuple[dt.date, ...]
    provisional: tuple[ProvisionalLine, ...]

    @property
    def final(self) -> bool:
        """True when every week is complete and no line is provisional."""
        return not self.partial_weeks and not self.provisional

    def badges(self) -> list[str]:
        """Short labels for a headline: ``partial: ...`` and ``provisional: ...``."""
        out = []
        if self.partial_weeks:
            weeks = ", ".join(w.isoformat() for w in self.partial_weeks)
            out.append(f"partial: week of {weeks} not over")
        if self.provisional:
            lines = sorted({p.line_id for p in self.provisional})
            metrics = sorted({p.metric for p in self.provisional})
            out.append(
                f"provisional: {', '.join(lines)} read {', '.join(metrics)} "
                f"(few labels yet) in {len({p.week_start for p in self.provisional})} week(s)"
            )
        return out

    def as_dict(self) -> dict[str, object]:
        """What a provisional close records in its manifest."""
        return {
            "partial_weeks": [w.isoformat() for w in self.partial_weeks],
            "provisional_lines": [
                {"week_start": p.week_start.isoformat(), "line_id": p.line_id, "metric": p.metric}
                for p in self.provisional
            ],
        }


def period_status(
    con: duckdb.DuckDBPyConnection, period: Period, rows: Sequence[LedgerRow]
) -> PeriodStatus:
    """The partial weeks and provisional line-weeks of ``period`` (``rows``: its ledger rows)."""
    weeks = sorted({r.week_start for r in rows})
    partial = tuple(w for w in weeks if w in partial_weeks(con, weeks))
    flagged = provisional_metric_weeks(con)
    provisional = tuple(
        ProvisionalLine(r.week_start, r.line_id, metric)
        for r in rows
        for metric in metric_inputs(r)
        if (metric, r.week_start) in flagged
    )
    return PeriodStatus(period.label, partial, provisional)


def partial_weeks(con: duckdb.DuckDBPyConnection, weeks: Iterable[dt.date]) -> set[dt.date]:
    """Those of ``weeks`` not over at the build's ``as_of`` (``staging.weeks.is_partial``, else
    ``as_of < week_start + 7 days``); none when the snapshot records no ``as_of``."""
    weeks = list(weeks)
    try:
        flagged = {
            w for (w,) in fetch_rows(con, "select week_start from staging.weeks where is_partial")
        }
    except duckdb.Error:
        flagged = set()
    as_of = build_as_of(con)
    if as_of is not None:
        flagged |= {
            w for w in weeks if as_of < dt.datetime.combine(w + dt.timedelta(days=7), dt.time())
        }
    return {w for w in weeks if w in flagged}


def provisional_metric_weeks(con: duckdb.DuckDBPyConnection) -> set[tuple[str, dt.date]]:
    """``(metric, week)`` of every company or system-total metric row flagged provisional (a
    ledger row reads its system's row; the company's figures are its systems' sums)."""
    try:
        return set(
            fetch_rows(
                con,
                "select distinct metric, week_start from main.metric_values "
                "where (dimensions = '{}' or json_keys(dimensions::json) = ['system']) "
                "and flag = 'provisional'",
            )
        )
    except duckdb.Error:
        return set()


def metric_inputs(row: LedgerRow) -> list[str]:
    """The metrics a ledger row reads (``metrics.error_rate`` -> ``error_rate``).

    >>> from outcomes.roi.ledger import LedgerInput
    >>> i = LedgerInput("x", "1", source_type="metric", source_ref="metrics.hours_saved.minutes[a]")
    >>> metric_inputs(LedgerRow(dt.date(2026, 1, 5), "l", "benefit", "", "x", "", (i,), 0, "USD"))
    ['hours_saved']
    """
    out = []
    for i in row.inputs:
        if i.source_type == "metric" and i.source_ref:
            ref = i.source_ref.removeprefix("metrics.")
            out.append(ref.split("[", 1)[0].split(".", 1)[0].split(":", 1)[0].strip())
    return out


def failed_roi_dependencies(objects: Sequence[dict]) -> dict[str, str]:
    """``{qualified name: error}`` of the failed build objects a ROI line depends on (directly
    or through other objects); a failed metric no ROI line reads does not count.

    >>> objs = [{"name": "a", "kind": "metric", "status": "failed", "error": "bad column"},
    ...         {"name": "b", "kind": "metric", "status": "failed", "error": "x"},
    ...         {"name": "l", "kind": "roi", "status": "ok", "depends_on": ["metrics.a"]}]
    >>> failed_roi_dependencies(objs)
    {'metrics.a': 'bad column'}
    """
    by_name = {_qualified(o): o for o in objects}
    seen: set[str] = set()
    todo = [q for q, o in by_name.items() if o.get("kind") == "roi"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(str(d) for d in (by_name.get(name, {}).get("depends_on") or ()))
    return {
        q: str(o.get("error") or o.get("status"))
        for q, o in sorted(by_name.items())
        if q in seen and o.get("status") not in (None, "ok")
    }


def build_as_of(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """The build's clock (``main.build_settings`` key ``as_of``), or ``None``."""
    try:
        rows = fetch_rows(con, "select value from main.build_settings where key = 'as_of'")
    except duckdb.Error:
        return None
    if not rows or not rows[0][0]:
        return None
    return dt.datetime.fromisoformat(str(rows[0][0]).replace("T", " ")[:19])


def _qualified(o: dict) -> str:
    name = str(o.get("name"))
    schema = SCHEMA_OF_KIND.get(str(o.get("kind")), str(o.get("kind")))
    return name if "." in name else f"{schema}.{name}"
