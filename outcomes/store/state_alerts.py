"""Alerts in the state store: who acknowledged which alert, and every threshold check run.

An alert is named by :func:`alert_key` (metric, week, dimension values), so an
acknowledgement outlives the build that raised the alert.

>>> import tempfile
>>> from pathlib import Path
>>> alerts = AlertRecords(Path(tempfile.mkdtemp()) / "state.sqlite")
>>> key = alert_key("accuracy", date(2024, 3, 4))
>>> alerts.acknowledge_alert(key, "ana", "known: retrain on Friday")
1
>>> [a.note for a in alerts.acknowledgements([key])]
['known: retrain on Friday']
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from outcomes.store.state_access import StateAccess
from outcomes.store.state_audit import write_audit_entry
from outcomes.store.state_file import StateValidationError, insert_row
from outcomes.store.state_values import (
    float_or_none,
    parse_date,
    required_text,
    stripped_text,
    week_date,
)


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """One acknowledgement of an alert, as stored."""

    id: int
    alert_key: str
    author: str
    note: str
    created_at: datetime
    action: str = "acknowledge"  # acknowledge, snooze (for snooze_weeks) or accept_reference
    snooze_weeks: int | None = None
    reference_start: date | None = None  # accept_reference: the new drift reference window
    reference_end: date | None = None


ACK_ACTIONS = ("acknowledge", "snooze", "accept_reference")


def alert_key(metric: str, week_start: date, dimensions: Mapping[str, object] | None = None) -> str:
    """The canonical key of one alert: metric, week and dimension values, sorted by name.

    >>> alert_key("accuracy", date(2024, 3, 4), {"segment": "smb", "model": "v2"})
    'accuracy|2024-03-04|model=v2|segment=smb'
    """
    parts = [required_text(metric, "metric"), week_date(week_start, "week_start").isoformat()]
    parts += [f"{k}={v}" for k, v in sorted((dimensions or {}).items())]
    return "|".join(parts)


class AlertRecords(StateAccess):
    """Acknowledging alerts and recording threshold check runs."""

    def acknowledge_alert(
        self,
        alert_key: str,
        author: str,
        note: str = "",
        *,
        action: str = "acknowledge",
        snooze_weeks: int | None = None,
        reference: tuple[date, date] | None = None,
    ) -> int:
        """Record that ``author`` has seen the alert (see ``alert_key()``); return the id.

        ``action`` ``snooze`` keeps the alert from paging for ``snooze_weeks`` weeks from its
        week on; ``accept_reference`` accepts the change as the new normal, with the new
        drift ``reference`` window (start, end) and a note saying why. Both stay visible.
        """
        key = required_text(alert_key, "alert_key")
        author = required_text(author, "author")
        note = stripped_text(note, "note")
        if action not in ACK_ACTIONS:
            raise StateValidationError(f"action must be one of {', '.join(ACK_ACTIONS)}")
        row: dict[str, object] = {"alert_key": key, "author": author, "note": note}
        if action == "snooze":
            if snooze_weeks is None or int(snooze_weeks) < 1:
                raise StateValidationError("a snooze needs a number of weeks (1 or more)")
            row["snooze_weeks"] = int(snooze_weeks)
        if action == "accept_reference":
            if reference is None or reference[0] > reference[1]:
                raise StateValidationError(
                    "accepting a new reference needs its window (start <= end)"
                )
            if not note:
                raise StateValidationError("accepting a new reference needs a note saying why")
            row["reference_start"] = week_date(reference[0], "reference_start").isoformat()
            row["reference_end"] = week_date(reference[1], "reference_end").isoformat()
        with self._write() as (conn, at):
            row.update(action=action, created_at=at)
            new_id = insert_row(conn, "alert_acknowledgements", row)
            detail = {
                k: v for k, v in row.items() if k not in ("alert_key", "author", "created_at")
            }
            write_audit_entry(conn, at, author, "acknowledge", "alert", key, detail)
        return new_id

    def acknowledgements(self, alert_keys: Iterable[str] | None = None) -> list[Acknowledgement]:
        """Every acknowledgement (of the given alert keys), oldest first."""
        where: list[str] = []
        args: list[object] = []
        if alert_keys is not None:
            keys = list(alert_keys)
            if not keys:
                return []
            where.append(f"alert_key in ({', '.join('?' * len(keys))})")
            args.extend(keys)
        return self._fetch(
            Acknowledgement,
            "alert_acknowledgements",
            where,
            args,
            "id",
            reference_start=_date_or_none,
            reference_end=_date_or_none,
        )

    def record_check(
        self,
        week_start: date | None,
        build_id: str | None,
        alerts: list[Mapping[str, Any]],
        unowned: list[str],
        actor: str = "cli",
    ) -> int:
        """Record one ``outcomes check`` run and every warn / alert it raised; return its id."""
        actor = required_text(actor, "actor")
        week = None if week_start is None else week_date(week_start, "week_start").isoformat()
        levels = [str(a["level"]) for a in alerts]
        counts = {"alerts": levels.count("alert"), "warnings": levels.count("warn")}
        with self._write() as (conn, at):
            run = {"week_start": week, "build_id": build_id, "actor": actor, **counts}
            run_id = insert_row(
                conn, "check_runs", {**run, "unowned": json.dumps(unowned), "created_at": at}
            )
            for a in alerts:
                insert_row(
                    conn, "alerts", {"check_run_id": run_id, **_alert_row(a), "created_at": at}
                )
            detail = {"build_id": build_id, **counts, "unowned": unowned}
            write_audit_entry(conn, at, actor, "check", "weekly_check", week or "", detail)
        return run_id

    def check_runs(self, week_start: date | None = None) -> list[dict[str, Any]]:
        """Recorded check runs (of one week), oldest first."""
        where, args = (
            (["week_start = ?"], [week_date(week_start, "week_start").isoformat()])
            if week_start
            else ([], [])
        )
        return [dict(r) for r in self._select("check_runs", where, args, "id")]


def _date_or_none(text: str | None) -> date | None:
    return None if text is None else parse_date(text)


def _alert_row(a: Mapping[str, Any]) -> dict[str, object]:
    """The ``alerts`` columns of one raised alert (as ``outcomes check`` reports it)."""
    dims = (
        json.loads(a["dimensions"]) if isinstance(a["dimensions"], str) else dict(a["dimensions"])
    )
    raw_week = a["week_start"]
    week = week_date(raw_week.date() if isinstance(raw_week, datetime) else raw_week, "week_start")
    return {
        "alert_key": alert_key(a["metric"], week, dims),
        "metric": a["metric"],
        "week_start": week.isoformat(),
        "dimensions": json.dumps(dims, sort_keys=True),
        "level": a["level"],
        "value": float_or_none(a.get("value")),
        "threshold": float_or_none(a.get("threshold")),
        "mode": a["mode"],
        "owner": a.get("owner"),
    }
