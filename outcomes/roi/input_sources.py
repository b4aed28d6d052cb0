"""What one input's source says, week by week and system: the check that a ROI line read it right.

For every input of a line, :class:`InputSource` loads once what its source holds per AI system
(the metric's row of the system, ``dimensions = {"system": ...}``; the assumption's versions,
the system's own and the company-wide ones; the system's cost rows, own and allocated shares
of shared ones, from ``staging.cost_allocations``; the events column's weekly sums of the
system), and :meth:`InputSource.describe` turns a week's input value into its ledger input
(unit, reference, SQL hash, version, owner), or raises :class:`LedgerError` when the value is
not what the source says: the assumption version in force for the system (its own, else the
company-wide one; same value), the metric's value (to 1e-9 relative: metrics are DOUBLE), the
exact sum of the cost rows or of the events column.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from outcomes.config import Settings
from outcomes.core.registry import Registry
from outcomes.roi.fetch import fetch_rows
from outcomes.roi.ledger import LedgerError, LedgerInput, decimal_text
from outcomes.roi.line_specs import InputSpec, LineSpec

METRIC_TOLERANCE = Decimal("1E-9")  # relative; metrics are DOUBLE, inputs DECIMAL
Version = tuple[dt.date, Decimal, str | None, str | None]  # effective_from, value, unit, owner


def system_of(dimensions: str) -> str | None:
    """The system of a metric row whose only dimension is ``system`` (its system total).

    >>> system_of('{"system":"a"}'), system_of('{}'), system_of('{"segment":"x","system":"a"}')
    ('a', None, None)
    """
    dims = json.loads(dimensions)
    return str(dims["system"]) if set(dims) == {"system"} and dims["system"] is not None else None


@dataclass
class InputSource:
    """Everything one input's source says, for every week and system, loaded once per line."""

    spec: InputSpec
    line: LineSpec
    unit: str | None
    owner: str | None
    sql_sha256: str | None
    by_week: dict[tuple[dt.date, str], tuple[Decimal, str]]  # (week, system): value, ref
    versions: dict[str | None, list[Version]]  # assumption versions by system (None: company)

    @classmethod
    def load(
        cls,
        con: duckdb.DuckDBPyConnection,
        registry: Registry,
        settings: Settings,
        line: LineSpec,
        spec: InputSpec,
    ) -> InputSource:
        """Read what ``spec``'s source holds for every week and system (one or two queries)."""
        obj = registry.definitions.get(spec.source_object)
        sha = obj.sha256 if obj is not None and spec.source_type != "assumption" else None
        by_week: dict[tuple[dt.date, str], tuple[Decimal, str]] = {}
        versions: dict[str | None, list[Version]] = {}
        unit: str | None = None
        owner: str | None = line.owner
        if spec.source_type == "metric":
            if obj is None:
                raise LedgerError(
                    f"input {spec.name}: no metric {spec.metric!r} (sql/metrics/{spec.metric}.sql)"
                )
            if spec.column == "value":
                unit = str(getattr(obj.header, "unit", "")) or None
                sql = (
                    "select week_start, dimensions, value::varchar from main.metric_values "
                    "where metric = ? and value is not null"
                )
                args: list[object] = [spec.metric]
            else:
                if spec.column not in (obj.columns or ()):
                    raise LedgerError(
                        f"input {spec.name}: metrics.{spec.metric} has no column {spec.column!r}"
                    )
                sql = (
                    "select week_start, dimensions, extras::json ->> ? from main.metric_values "
                    "where metric = ?"
                )
                args = [spec.column, spec.metric]
            owner = obj.header.owner
            for week, dimensions, value in fetch_rows(con, sql, args):
                system = system_of(dimensions)
                if value is not None and system is not None:
                    by_week[(week, system)] = (Decimal(value), f"{spec.source_ref}[{system}]")
        elif spec.source_type == "assumption":
            for system, eff, value, a_unit, a_owner in fetch_rows(
                con,
                "select system, effective_from, value::varchar, unit, owner "
                "from staging.assumptions where key = ? order by effective_from",
                [spec.ref],
            ):
                versions.setdefault(system, []).append((eff, Decimal(value), a_unit, a_owner))
        elif spec.source_type == "cost_rows":
            unit = settings.currency
            for week, system, own, shared, total in fetch_rows(
                con,
                "select week_start, system, "
                "list(cost_id order by cost_id) filter (where method = 'own'), "
                "list(cost_id || ' (' || method || ')' order by cost_id) "
                "filter (where method <> 'own'), sum(amount)::varchar "
                "from staging.cost_allocations where category = ? group by week_start, system",
                [spec.ref],
            ):
                parts = [*(own or []), *(f"share of {s}" for s in shared or [])]
                by_week[(week, system)] = (
                    Decimal(total),
                    f"{spec.source_ref}[{system}]: {', '.join(parts)}",
                )
        else:
            columns = {
                c
                for (c,) in fetch_rows(con, "select column_name from (describe staging.ai_events)")
            }
            if spec.ref not in columns:
                raise LedgerError(
                    f"input {spec.name}: staging.ai_events has no column {spec.ref!r}"
                )
            unit = "USD" if spec.ref == "cost_usd" else None
            for week, system, total, n in fetch_rows(
                con,
                f'select week_start, system, sum("{spec.ref}")::varchar, count(*) '
                "from staging.ai_events group by week_start, system",
            ):
                by_week[(week, system)] = (
                    Decimal(total),
                    f"staging.ai_events[{system}]: sum({spec.ref}) of {n} "
                    f"event{'s' if n != 1 else ''}",
                )
        return cls(spec, line, spec.unit or unit, owner, sha, by_week, versions)

    def version_for(self, system: str, week: dt.date) -> tuple[str | None, Version] | None:
        """The assumption version in force at ``week`` for ``system``: its own, else the
        company-wide one; with the system it belongs to (None: company-wide)."""
        for scope in (system, None):
            found = self.versions.get(scope, [])
            i = bisect.bisect_right([v[0] for v in found], week) - 1
            if i >= 0:
                return scope, found[i]
        return None

    def describe(self, week: dt.date, system: str, value: Decimal) -> LedgerInput:
        """The input's ledger entry for ``week`` and ``system``; LedgerError when the source
        disagrees."""
        spec = self.spec
        where = f"week {week.isoformat()}, system {system}, input {spec.name}"
        if spec.source_type == "assumption":
            found = self.version_for(system, week)
            if found is None:
                raise LedgerError(
                    f"{where}: no version of assumption {spec.ref} is in force for the system "
                    "or company-wide (none with effective_from <= week_start)"
                )
            scope, (eff, expected, unit, owner) = found
            if value != expected:
                whose = "company-wide" if scope is None else f"of system {scope}"
                raise LedgerError(
                    f"{where} is {decimal_text(value)} but assumption {spec.ref} in force "
                    f"({whose}, effective_from {eff.isoformat()}) is {decimal_text(expected)}; "
                    "fix: read the system's version with the greatest effective_from <= "
                    "week_start, else the company-wide one (macro assumption_for)"
                )
            return LedgerInput(
                spec.name,
                decimal_text(value),
                spec.unit or unit,
                spec.source_type,
                spec.ref,
                None,
                eff.isoformat(),
                owner,
                scope,
            )
        if (week, system) not in self.by_week:
            raise LedgerError(f"{where}: {spec.source_ref} has no figure for this week and system")
        expected, ref = self.by_week[(week, system)]
        if spec.source_type == "metric":
            tolerance = METRIC_TOLERANCE * max(Decimal(1), abs(expected))
            if abs(value - expected) > tolerance:
                raise LedgerError(
                    f"{where} is {decimal_text(value)} but {spec.source_ref} is "
                    f"{decimal_text(expected)}; fix: read the metric's row of the system "
                    "(its other dimensions null)"
                )
        elif value != expected:
            raise LedgerError(
                f"{where} is {decimal_text(value)} but {ref} adds up to {decimal_text(expected)}"
            )
        return LedgerInput(
            spec.name,
            decimal_text(value),
            self.unit,
            spec.source_type,
            ref,
            self.sql_sha256,
            None,
            self.owner,
        )
