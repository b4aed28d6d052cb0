"""What one input's source says, week by week: the check that a ROI line read it right.

For every input of a line, :class:`InputSource` loads once what its source holds (the
metric's all-dimensions values, the assumption's versions, the cost rows' weekly sums, the
events column's weekly sums), and :meth:`InputSource.describe` turns a week's input value into
its ledger input (unit, reference, SQL hash, version, owner), or raises :class:`LedgerError`
when the value is not what the source says: the assumption version in force (same value), the
metric's value (to 1e-9 relative: metrics are DOUBLE), the exact sum of the cost rows or of the
events column.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from outcomes.config import Settings
from outcomes.core.registry import Registry
from outcomes.roi.fetch import fetch_rows
from outcomes.roi.ledger import LedgerError, LedgerInput, decimal_text
from outcomes.roi.line_specs import InputSpec, LineSpec

METRIC_TOLERANCE = Decimal("1E-9")  # relative; metrics are DOUBLE, inputs DECIMAL


@dataclass
class InputSource:
    """Everything one input's source says, for every week, loaded once per line."""

    spec: InputSpec
    line: LineSpec
    unit: str | None
    owner: str | None
    sql_sha256: str | None
    by_week: dict[dt.date, tuple[Decimal, str]]  # metric / cost_rows / events: value, ref
    versions: list[tuple[dt.date, Decimal, str | None, str | None]]  # assumption versions

    @classmethod
    def load(
        cls,
        con: duckdb.DuckDBPyConnection,
        registry: Registry,
        settings: Settings,
        line: LineSpec,
        spec: InputSpec,
    ) -> InputSource:
        """Read what ``spec``'s source holds for every week (one or two queries)."""
        obj = registry.definitions.get(spec.source_object)
        sha = obj.sha256 if obj is not None and spec.source_type != "assumption" else None
        by_week: dict[dt.date, tuple[Decimal, str]] = {}
        versions: list[tuple[dt.date, Decimal, str | None, str | None]] = []
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
                    "select week_start, value::varchar from main.metric_values "
                    "where metric = ? and dimensions = '{}' and value is not null"
                )
                args: list[object] = [spec.metric]
            else:
                if spec.column not in (obj.columns or ()):
                    raise LedgerError(
                        f"input {spec.name}: metrics.{spec.metric} has no column {spec.column!r}"
                    )
                sql = (
                    "select week_start, extras::json ->> ? from main.metric_values "
                    "where metric = ? and dimensions = '{}'"
                )
                args = [spec.column, spec.metric]
            owner = obj.header.owner
            for week, value in fetch_rows(con, sql, args):
                if value is not None:
                    by_week[week] = (Decimal(value), spec.source_ref)
        elif spec.source_type == "assumption":
            for eff, value, a_unit, a_owner in fetch_rows(
                con,
                "select effective_from, value::varchar, unit, owner from staging.assumptions "
                "where key = ? order by effective_from",
                [spec.ref],
            ):
                versions.append((eff, Decimal(value), a_unit, a_owner))
        elif spec.source_type == "cost_rows":
            unit = settings.currency
            for week, ids, total in fetch_rows(
                con,
                "select week_start, list(cost_id order by cost_id), sum(amount)::varchar "
                "from staging.cost_weeks where category = ? group by week_start",
                [spec.ref],
            ):
                by_week[week] = (Decimal(total), f"{spec.source_ref}: {', '.join(ids)}")
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
            for week, total, n in fetch_rows(
                con,
                f'select week_start, sum("{spec.ref}")::varchar, count(*) from staging.ai_events '
                "group by week_start",
            ):
                by_week[week] = (
                    Decimal(total),
                    f"staging.ai_events: sum({spec.ref}) of {n} event{'s' if n != 1 else ''}",
                )
        return cls(spec, line, spec.unit or unit, owner, sha, by_week, versions)

    def describe(self, week: dt.date, value: Decimal) -> LedgerInput:
        """The input's ledger entry for ``week``; LedgerError when the source disagrees."""
        spec, where = self.spec, f"week {week.isoformat()}, input {self.spec.name}"
        if spec.source_type == "assumption":
            dates = [v[0] for v in self.versions]
            i = bisect.bisect_right(dates, week) - 1
            if i < 0:
                raise LedgerError(
                    f"{where}: no version of assumption {spec.ref} is in force "
                    "(none with effective_from <= week_start)"
                )
            eff, expected, unit, owner = self.versions[i]
            if value != expected:
                raise LedgerError(
                    f"{where} is {decimal_text(value)} but assumption {spec.ref} in force "
                    f"(effective_from {eff.isoformat()}) is {decimal_text(expected)}; fix: read "
                    "the version with the greatest effective_from <= week_start"
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
            )
        if week not in self.by_week:
            raise LedgerError(f"{where}: {spec.source_ref} has no figure for this week")
        expected, ref = self.by_week[week]
        if spec.source_type == "metric":
            tolerance = METRIC_TOLERANCE * max(Decimal(1), abs(expected))
            if abs(value - expected) > tolerance:
                raise LedgerError(
                    f"{where} is {decimal_text(value)} but {spec.source_ref} is "
                    f"{decimal_text(expected)}; fix: read the metric's all-dimensions row"
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
