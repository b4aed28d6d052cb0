"""Build ``main.roi_ledger`` from the ROI lines' tables (``roi.<line_id>``), checked.

:func:`build_ledger` reads every line's table (:mod:`outcomes.roi.line_specs` says what its
header declares) and, for every row, checks that

- every input column is DECIMAL (or an integer) and ``amount`` is DECIMAL(38,10);
- ``amount`` is the formula over the input columns, evaluated exactly with Decimal
  (:meth:`Formula.evaluate`) and kept to the ledger's 10 decimal places: it may differ from the
  exact value by at most half a unit of the 10th place, i.e. it is that value rounded (the only
  rounding before display; cents are for display only);
- every input is what its source says for that week (:mod:`outcomes.roi.input_sources`);

then writes ``main.roi_ledger`` (:mod:`outcomes.roi.ledger`), one row per week_start, AI system
and line_id, ordered that way,
with the inputs as canonical JSON (sorted keys, no spaces, decimal text without trailing zeros)
and nothing build-specific in it (no build or load ids, times or paths), so two builds of the
same inputs give byte-identical ledger exports (:func:`outcomes.roi.ledger.ledger_csv`). A line
that fails any check is left out of the ledger and reported in the result; the other lines go
on. ``main.roi_sql`` keeps the SQL text of every line and of every file its inputs come from,
for "show working" (:mod:`outcomes.roi.trace`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from outcomes.config import Settings
from outcomes.core.definition import SqlDefinition
from outcomes.core.formula import FormulaError
from outcomes.core.registry import Registry
from outcomes.roi.fetch import fetch_rows
from outcomes.roi.input_sources import InputSource
from outcomes.roi.ledger import (
    LEDGER_COLUMNS,
    LedgerError,
    LedgerRow,
    decimal_text,
)
from outcomes.roi.line_specs import LineSpec, line_specs

HALF_UNIT = Decimal("0.5E-10")
LEDGER_DDL = """
create or replace table main.roi_ledger (
    week_start date not null,
    system varchar not null,
    line_id varchar not null,
    category varchar not null,
    title varchar not null,
    formula varchar not null,
    formula_filled varchar not null,
    inputs json not null,
    amount decimal(38, 10) not null,
    currency varchar not null
)"""
ROI_SQL_DDL = """
create or replace table main.roi_sql (
    name varchar not null,
    path varchar not null,
    sql_sha256 varchar not null,
    sql varchar not null
)"""
# Where the SQL of each source type lives (the file trace shows for an input).
_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}


@dataclass(frozen=True)
class LineResult:
    """How one ROI line fared: ``ok`` with its row count, or ``failed`` with the reason."""

    line_id: str
    status: str  # ok | failed
    rows: int
    error: str | None = None


@dataclass(frozen=True)
class LedgerResult:
    """What :func:`build_ledger` wrote: every line's result and the rows in the ledger."""

    lines: tuple[LineResult, ...]
    rows: int

    @property
    def ok(self) -> bool:
        return all(line.status == "ok" for line in self.lines)

    @property
    def errors(self) -> list[str]:
        return [f"roi.{line.line_id}: {line.error}" for line in self.lines if line.status != "ok"]

    def summary(self) -> str:
        good = sum(1 for line in self.lines if line.status == "ok")
        text = f"roi ledger: {self.rows:,} rows from {good} of {len(self.lines)} lines"
        return "\n".join([text, *(f"  failed {e}" for e in self.errors)])


def build_ledger(
    con: duckdb.DuckDBPyConnection, registry: Registry, settings: Settings
) -> LedgerResult:
    """Check every ROI line's rows and write ``main.roi_ledger`` and ``main.roi_sql``.

    Call after the ``roi.<line>`` tables are built (they read staging and metrics). A line
    that fails a check is reported in the result (``ok`` is False) and left out; the others
    are written. Idempotent: the tables are replaced.
    """
    con.execute(LEDGER_DDL)
    con.execute(ROI_SQL_DDL)
    specs, problems = line_specs(registry)
    built = _tables(con, "roi")
    results: dict[str, LineResult] = {
        name: LineResult(name, "failed", 0, problem) for name, problem in problems.items()
    }
    entries: list[LedgerRow] = []
    for spec in specs:
        if spec.line_id not in built:
            results[spec.line_id] = LineResult(
                spec.line_id,
                "failed",
                0,
                f"roi.{spec.line_id} was not built (see main.build_objects for why)",
            )
            continue
        try:
            line_entries = _line_entries(con, registry, settings, spec)
        except LedgerError as exc:
            results[spec.line_id] = LineResult(
                spec.line_id, "failed", 0, f"{spec.definition.path}: {exc}"
            )
            continue
        except duckdb.Error as exc:
            results[spec.line_id] = LineResult(
                spec.line_id, "failed", 0, f"{spec.definition.path}: {' '.join(str(exc).split())}"
            )
            continue
        entries.extend(line_entries)
        results[spec.line_id] = LineResult(spec.line_id, "ok", len(line_entries))
    entries.sort(key=lambda e: e.key)
    if entries:
        _insert(con, "main.roi_ledger", LEDGER_COLUMNS, [e.texts() for e in entries])
    _write_sql(con, registry, specs)
    ordered = tuple(results[name] for name in sorted(results))
    return LedgerResult(lines=ordered, rows=len(entries))


# -- one line --------------------------------------------------------------------------------


def _line_entries(
    con: duckdb.DuckDBPyConnection, registry: Registry, settings: Settings, spec: LineSpec
) -> list[LedgerRow]:
    table = f"roi.{spec.line_id}"
    types = dict(fetch_rows(con, f"select column_name, column_type from (describe {table})"))
    for i in spec.inputs:
        kind = types.get(i.name, "")
        if not (kind.startswith("DECIMAL") or kind in _INTEGER_TYPES):
            raise LedgerError(
                f"input column {i.name} is {kind or 'missing'}; fix: return it as DECIMAL "
                f"(e.g. {i.name}::decimal(38, 10)) so the ledger stays exact"
            )
    if types.get("amount") != "DECIMAL(38,10)":
        raise LedgerError(
            f"amount is {types.get('amount')}; fix: return amount as ...::decimal(38, 10)"
        )
    select = ", ".join(f'"{i.name}"::varchar' for i in spec.inputs)
    rows = fetch_rows(
        con,
        f"select week_start, system, {select}, amount::varchar from {table} "
        "order by week_start, system",
    )
    keys = [(r[0], r[1]) for r in rows]
    if any(w is None for w, _ in keys):
        raise LedgerError("a row has no week_start")
    if any(s is None for _, s in keys):
        week = next(w for w, s in keys if s is None)
        raise LedgerError(
            f"week {week.isoformat()}: a row has no system; fix: one row per week and AI "
            "system (system not null)"
        )
    if len(set(keys)) != len(keys):
        dupe = min(k for k, n in Counter(keys).items() if n > 1)
        raise LedgerError(
            f"more than one row for week {dupe[0].isoformat()} and system {dupe[1]}; "
            "fix: one row per week and system"
        )
    sources = {i.name: InputSource.load(con, registry, settings, spec, i) for i in spec.inputs}
    entries = []
    for row in rows:
        week, system = row[0], row[1]
        where = f"week {week.isoformat()}, system {system}"
        values: dict[str, Decimal] = {}
        for i, text in zip(spec.inputs, row[2:-1], strict=True):
            if text is None:
                raise LedgerError(f"{where}: input {i.name} is null; fix: leave the week out")
            values[i.name] = Decimal(text)
        if row[-1] is None:
            raise LedgerError(f"{where}: amount is null")
        amount = Decimal(row[-1])
        try:
            exact = spec.formula.evaluate(values)
        except FormulaError as exc:
            raise LedgerError(f"{where}: {exc}") from exc
        filled = spec.formula.filled({n: decimal_text(v) for n, v in values.items()})
        if abs(amount - exact) > HALF_UNIT:
            raise LedgerError(
                f"{where}: amount {decimal_text(amount)} is not the formula "
                f"{spec.formula.text} over the inputs: {filled} = {decimal_text(exact)}; "
                "fix: compute amount as the header's formula over the input columns"
            )
        inputs = tuple(sources[i.name].describe(week, system, values[i.name]) for i in spec.inputs)
        entries.append(
            LedgerRow(
                week_start=week,
                line_id=spec.line_id,
                category=spec.category,
                title=spec.title,
                formula=spec.formula.text,
                formula_filled=filled,
                inputs=inputs,
                amount=amount,
                currency=settings.currency,
                system=system,
            )
        )
    return entries


def _write_sql(
    con: duckdb.DuckDBPyConnection, registry: Registry, specs: Sequence[LineSpec]
) -> None:
    wanted: dict[str, SqlDefinition] = {}
    for spec in specs:
        wanted[spec.definition.qualified] = spec.definition
        for i in spec.inputs:
            d = registry.definitions.get(i.source_object)
            if d is not None:
                wanted[d.qualified] = d
    rows = []
    for q in sorted(wanted):
        d = wanted[q]
        try:
            path = str(d.path.relative_to(registry.sql_dir))
        except ValueError:
            path = str(d.path)
        rows.append([q, path, d.sha256, d.sql])
    if rows:
        _insert(con, "main.roi_sql", ("name", "path", "sql_sha256", "sql"), rows)


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: list[list[str]]
) -> None:
    """Insert text rows in one statement (executemany runs one statement per row: slow)."""
    import pyarrow as pa

    data = pa.table({c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(columns)})
    con.register("_ledger_rows", data)
    try:
        # the table's column types cast the text (dates, JSON, DECIMAL(38,10)) exactly
        con.execute(f"insert into {table} select * from _ledger_rows")
    finally:
        con.unregister("_ledger_rows")


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    return {
        name
        for (name,) in fetch_rows(
            con,
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = ?",
            [schema],
        )
    }
