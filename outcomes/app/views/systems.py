"""The AI systems of the snapshot and the system filter every page takes (issue 15).

A page shows the company (no ``system`` query parameter) or one system (``?system=x``). Metric
values carry the filter as their dimensions: ``'{}'`` is the company total and
``'{"system":"x"}'`` the system's total (:func:`dimensions_of`), as the build writes them
(canonical JSON, no spaces).

>>> dimensions_of(None), dimensions_of("invoice-matcher")
('{}', '{"system":"invoice-matcher"}')
>>> system_label(None), system_label("invoice-matcher")
('All systems (company)', 'invoice-matcher')
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.views.snapshot_cells import as_date, dims, has_table

QUERIES = ("systems_in_values", "systems_register")
COMPANY_LABEL = "All systems (company)"


def dimensions_of(system: str | None) -> str:
    """The ``metric_values.dimensions`` text of the company (None) or of one system's total."""
    if system is None:
        return "{}"
    return json.dumps({"system": system}, separators=(",", ":"), ensure_ascii=False)


def system_label(system: str | None) -> str:
    """What the filter shows for a choice."""
    return COMPANY_LABEL if system is None else system


@dataclass(frozen=True)
class SystemVersion:
    """The register's version of a system in force on a day (``staging.systems``)."""

    system: str
    stage: str | None  # pilot | production | retired; None: not in the register
    stage_since: dt.date | None
    owner: str | None
    rollback_target: str | None
    production_events_per_week: int | None
    inference_budget_per_week: Decimal | None
    freshness_sla_hours: float | None
    note: str | None


def _none(value: object) -> object:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


def register(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, SystemVersion]:
    """Every system of the register as in force on ``day``; {} when the snapshot has no
    ``staging.systems`` (built before systems had a register)."""
    if not has_table(con, "staging", "systems"):
        return {}
    found = {}
    for r in queries.rows(con, "systems_register", {"day": day}):
        (system, stage, since, owner, rollback, volume, budget, sla, note) = r
        found[system] = SystemVersion(
            system=system,
            stage=stage,
            stage_since=as_date(since),
            owner=owner,
            rollback_target=rollback,
            production_events_per_week=None if volume is None else int(volume),
            inference_budget_per_week=None if budget is None else Decimal(str(budget)),
            freshness_sla_hours=_none(sla),  # type: ignore[arg-type]
            note=note,
        )
    return found


def system_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every system the snapshot knows, by name: the register's and those with metric values.

    >>> con = duckdb.connect()
    >>> _ = con.execute("create table metric_values (metric varchar, dimensions varchar)")
    >>> _ = con.execute("insert into metric_values values ('a', '{}'), "
    ...     "('a', '{\\"system\\":\\"b\\"}'), ('a', '{\\"system\\":\\"b\\",\\"segment\\":\\"s\\"}')")
    >>> system_names(con)
    ['b']
    """
    names = {r[0] for r in queries.rows(con, "systems_in_values")}
    if has_table(con, "staging", "systems"):
        names |= set(register(con, dt.date.max))
    return sorted(names)


def for_system(frame: pd.DataFrame, system: str | None) -> pd.DataFrame:
    """Rows of metric values or alerts (columns metric, dimensions) as one system sees them:
    its rows with ``system`` taken out of their dimensions (its total becomes ``'{}'``).
    For the company (None): the rows without a system, and for a metric that has none (drift
    is per system only) its system totals, whose worst the scorecard shows.

    >>> f = pd.DataFrame({"metric": ["a", "a", "a", "d"], "dimensions": ['{}',
    ...     '{"system":"x"}', '{"segment":"s","system":"x"}', '{"system":"x"}']})
    >>> for_system(f, "x")["dimensions"].tolist()
    ['{}', '{"segment":"s"}', '{}']
    >>> for_system(f, None)["dimensions"].tolist()
    ['{}', '{"system":"x"}']
    """
    if frame.empty:
        return frame
    parsed = [dims(d) for d in frame["dimensions"]]
    if system is not None:
        keep = [p.get("system") == system for p in parsed]
        out = frame[keep].copy()
        out["dimensions"] = [
            json.dumps(
                {k: v for k, v in p.items() if k != "system"},
                separators=(",", ":"),
                sort_keys=True,
                ensure_ascii=False,
            )
            for p, k in zip(parsed, keep, strict=True)
            if k
        ]
        return out
    company = ["system" not in p for p in parsed]
    with_company = set(frame.loc[company, "metric"])
    keep = [
        c or (m not in with_company and list(p) == ["system"])
        for c, m, p in zip(company, frame["metric"], parsed, strict=True)
    ]
    return frame[keep]


FRESHNESS_COLUMNS = ["system", "newest_event", "hours_behind_build", "sla_hours", "status"]


def system_freshness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per AI system: its newest event, the hours from it to the build, its register's
    ``freshness_sla_hours`` and whether it is within it (the readiness item's evidence)."""
    versions = register(con, dt.date.max)
    rows = []
    for system, newest, hours in queries.rows(con, "data_system_freshness"):
        sla = versions[system].freshness_sla_hours if system in versions else None
        status = (
            "no SLA"
            if sla is None
            else "unknown"
            if hours is None
            else "within SLA"
            if hours <= sla
            else "late"
        )
        hours = None if hours is None else round(float(hours), 1)
        rows.append([system, newest, hours, sla, status])
    return pd.DataFrame(rows, columns=FRESHNESS_COLUMNS)
