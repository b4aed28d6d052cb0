"""``outcomes check`` and ``main.alerts``: the thresholds of :mod:`outcomes.core.thresholds`
applied to a snapshot.

:func:`write_alerts` stores every warn / alert of every week in the snapshot being built;
:func:`run_checks` reads one week's from the current snapshot and records them in the state store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from outcomes.config import Settings
from outcomes.core.thresholds import evaluate_thresholds, thresholds_frame
from outcomes.errors import OutcomesError


class CheckWeekError(OutcomesError, ValueError):
    """A ``--week`` that is not a complete reporting week of the snapshot (or none exists)."""


def checked_week(weeks: list[tuple[dt.date, bool]], week: dt.date | None) -> dt.date:
    """``week``, or the last complete one, checked against the calendar ``(week_start,
    is_partial)``; :class:`CheckWeekError` names what is wrong and what to pass instead.

    >>> cal = [(dt.date(2026, 11, 9), False), (dt.date(2026, 11, 16), True)]
    >>> checked_week(cal, None)
    datetime.date(2026, 11, 9)
    >>> checked_week(cal, dt.date(2026, 11, 11))
    Traceback (most recent call last):
    ...
    outcomes.build.alerts.CheckWeekError: --week 2026-11-11 is not the start of a reporting week: use 2026-11-09 (weeks start on Monday)
    """
    complete = [w for w, partial in weeks if not partial]
    if not weeks or not complete:
        raise CheckWeekError(
            "the snapshot has no complete reporting week yet: load data for at least one full "
            "week and rebuild (`outcomes build`)"
        )
    if week is None:
        return complete[-1]
    starts = {w: partial for w, partial in weeks}
    first, last = weeks[0][0], weeks[-1][0]
    if week not in starts:
        if first <= week <= last + dt.timedelta(days=6):
            start = max(w for w in starts if w <= week)
            raise CheckWeekError(
                f"--week {week} is not the start of a reporting week: use {start} "
                f"(weeks start on {start:%A})"
            )
        raise CheckWeekError(
            f"--week {week} is outside the snapshot's weeks ({first} .. {last}): pass a week "
            f"start in that range, e.g. the last complete week {complete[-1]}"
        )
    if starts[week]:
        raise CheckWeekError(
            f"--week {week} is the current, partial week: check a complete week, e.g. {complete[-1]}"
        )
    return week


@dataclass
class CheckReport:
    week: dt.date | None
    alerts: pd.DataFrame
    unowned: list[str] = field(default_factory=list)
    build_id: str | None = None

    @property
    def alerts_fired(self) -> bool:
        return bool((self.alerts["level"] == "alert").any()) if len(self.alerts) else False

    def render(self) -> str:
        lines = [f"check of week {self.week} (build {self.build_id})"]
        if not len(self.alerts):
            lines.append("no metric at a warn or alert level")
        for r in self.alerts.itertuples():
            lines.append(
                f"  {r.level.upper():<5} {r.metric} {r.dimensions} value {r.value:.4g}"
                f" ({r.mode} {r.observed:.4g} vs {r.threshold:.4g}) owner {r.owner or 'UNOWNED'}"
            )
        if self.unowned:
            lines.append(f"unowned metrics ({len(self.unowned)}): " + ", ".join(self.unowned))
            lines.append(
                "  fix: add 'owner: <email or team>' to their headers; unowned monitoring is a finding"
            )
        return "\n".join(lines)


def run_checks(settings: Settings, week: dt.date | None = None, actor: str = "cli") -> CheckReport:
    """Evaluate ``week`` (default: the last complete week) on the current snapshot, record
    the alerts in the state store and return the report."""
    from outcomes.store.snapshot import open_snapshot
    from outcomes.store.state import StateStore

    con = open_snapshot(settings)
    try:
        calendar = [
            (w, bool(p))
            for w, p in con.execute(
                "select week_start, is_partial from staging.weeks order by week_start"
            ).fetchall()
        ]
        week = checked_week(calendar, week)
        alerts = con.execute(
            "select * from main.alerts where week_start = ? order by level, metric, dimensions",
            [week],
        ).df()
        unowned = [
            r[0]
            for r in con.execute(
                "select name from main.metric_definitions where schema = 'metrics' "
                "and coalesce(owner, '') = '' order by name"
            ).fetchall()
        ]
        build_id = con.execute("select max(build_id) from main.build_manifest").fetchall()[0][0]
    finally:
        con.close()
    report = CheckReport(week=week, alerts=alerts, unowned=unowned, build_id=build_id)
    StateStore(settings.state_path).record_check(
        week, build_id, alerts.to_dict("records"), unowned, actor=actor
    )
    return report


# system: the AI system of the row (dimensions' system; null for a company row)
ALERT_COLUMNS = [
    "metric",
    "week_start",
    "dimensions",
    "system",
    "level",
    "value",
    "observed",
    "threshold",
    "mode",
    "direction",
    "owner",
    "flag",
    "previous_value",
    "trailing_mean",
]


def write_alerts(con: duckdb.DuckDBPyConnection, registry: object) -> int:
    """Create ``main.alerts`` (every warn / alert of every week) in the snapshot being built."""
    definitions = registry.by_schema().get("metrics", [])  # type: ignore[attr-defined]
    alerts = evaluate_thresholds(con, thresholds_frame(definitions))
    con.execute(
        "create or replace table main.alerts (metric varchar, week_start date, dimensions varchar, "
        "system varchar, level varchar, value double, observed double, threshold double, mode varchar, "
        "direction varchar, owner varchar, flag varchar, previous_value double, trailing_mean double)"
    )
    if len(alerts):
        con.register("alerts_frame", alerts)
        try:
            con.execute(
                f"insert into main.alerts select {', '.join(ALERT_COLUMNS)} from alerts_frame "
                "order by week_start, metric, dimensions"
            )
        finally:
            con.unregister("alerts_frame")
    return len(alerts)
