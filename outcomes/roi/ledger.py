"""The ROI ledger: ``main.roi_ledger``, one row per ROI line per week, every input with its source.

Each ``sql/roi/<line_id>.sql`` (already built as table ``roi.<line_id>``) declares in its header
a ``category`` (benefit / cost), a ``formula`` (:mod:`outcomes.core.formula`) and its ``inputs``, each
mapped to a source::

    inputs:
      hours_saved: {metric: hours_saved}            # metrics.<name>, its all-dimensions row
      loaded_hourly_cost: {assumption: loaded_hourly_cost}  # staging.assumptions, in force
      infrastructure_cost: {cost_rows: infrastructure}      # staging.cost_weeks of a category
      event_cost_usd: {events: cost_usd}            # sum of a staging.ai_events column

:func:`build_ledger` reads every line's table and, for every row, checks that

- every input column is DECIMAL (or an integer) and ``amount`` is DECIMAL(38,10);
- ``amount`` is the formula over the input columns, evaluated exactly with Decimal
  (:meth:`Formula.evaluate`) and kept to the ledger's 10 decimal places: it may differ from the
  exact value by at most half a unit of the 10th place, i.e. it is that value rounded (the only
  rounding before display; cents are for display only);
- every input is what its source says for that week: the assumption version in force (same
  value), the metric's all-dimensions value (to 1e-9 relative: metrics are DOUBLE), the exact
  sum of the cost rows or of the events column;

then writes ``main.roi_ledger`` (docs/ARCHITECTURE.md, "ROI ledger"), ordered by week_start,
line_id, with the inputs as canonical JSON (sorted keys, no spaces, decimal text without
trailing zeros) and nothing build-specific in it (no build or load ids, times or paths), so
two builds of the same inputs give byte-identical ledger exports (:func:`ledger_csv`). A line
that fails any check is left out of the ledger and reported in the result; the other lines go
on. ``main.roi_sql`` keeps the SQL text of every line and of every file its inputs come from,
for "show working" (:mod:`outcomes.roi.trace`).

>>> InputSpec.parse("hours_saved", {"metric": "hours_saved"}).source_ref
'metrics.hours_saved'
>>> decimal_text(Decimal("62.500000")), decimal_text(Decimal("1.2E+5"))
('62.5', '120000')
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb

from outcomes.config import Settings
from outcomes.core.formula import Formula, FormulaError
from outcomes.core.headers import RoiHeader
from outcomes.core.registry import Registry, SqlDefinition
from outcomes.errors import OutcomesError

SOURCE_TYPES = ("metric", "assumption", "cost_rows", "events")
AMOUNT_PLACES = Decimal("1E-10")  # DECIMAL(38,10)
CENTS = Decimal("0.01")
HALF_UNIT = Decimal("0.5E-10")
METRIC_TOLERANCE = Decimal("1E-9")  # relative; metrics are DOUBLE, inputs DECIMAL
LEDGER_COLUMNS = (
    "week_start",
    "line_id",
    "category",
    "title",
    "formula",
    "formula_filled",
    "inputs",
    "amount",
    "currency",
)
INPUT_FIELDS = (
    "name",
    "value",
    "unit",
    "source_type",
    "source_ref",
    "sql_sha256",
    "effective_from",
    "owner",
)
LEDGER_DDL = """
create or replace table main.roi_ledger (
    week_start date not null,
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
SOURCE_OBJECT = {
    "assumption": "staging.assumptions",
    "cost_rows": "staging.cost_weeks",
    "events": "staging.ai_events",
}
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
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


class LedgerError(OutcomesError, ValueError):
    """A ROI line that cannot go into the ledger (bad header, SQL or figures)."""


class LedgerMissing(LedgerError):
    """The snapshot has no ``main.roi_ledger`` (built before the ledger existed)."""


def decimal_text(number: Decimal) -> str:
    """Canonical decimal text: no exponent, no trailing zeros (``62.500000`` -> ``62.5``)."""
    text = format(number.normalize(), "f")
    return "0" if text in ("0", "-0") else text


def amount_text(number: Decimal) -> str:
    """An amount with the ledger's 10 decimal places (``1153.8461538462``)."""
    return format(number.quantize(AMOUNT_PLACES), "f")


def display(number: Decimal | None) -> str:
    """Money for display: rounded half up to cents, thousands separated (``-1,234.57``).

    >>> display(Decimal("-1234.565")), display(None)
    ('-1,234.57', '')
    """
    if number is None:
        return ""
    return f"{number.quantize(CENTS, rounding=ROUND_HALF_UP):,}"


@dataclass(frozen=True)
class InputSpec:
    """One ``inputs:`` entry of a ROI line header.

    ``{metric: hours_saved}`` (the metric's value), ``{metric: hours_saved.actual_minutes}``
    (an extra column of it), ``{assumption: key}``, ``{cost_rows: category}``,
    ``{events: column}`` (its weekly sum); an optional ``unit: ...`` names the unit where the
    source has none (metric extra columns).
    """

    name: str
    source_type: str  # metric | assumption | cost_rows | events
    ref: str  # metric name[.column] | assumption key | cost category | ai_events column
    unit: str | None = None

    @classmethod
    def parse(cls, name: str, spec: Any) -> InputSpec:
        """From ``{metric: hours_saved}`` or the text ``"metric: hours_saved"``."""
        if isinstance(spec, str) and ":" in spec:
            kind, _, ref = spec.partition(":")
            spec = {kind.strip(): ref.strip()}
        unit = None
        if isinstance(spec, Mapping) and "unit" in spec:
            spec = dict(spec)
            unit = str(spec.pop("unit")).strip() or None
        if not isinstance(spec, Mapping) or len(spec) != 1:
            raise LedgerError(
                f"input {name!r}: expected one 'source_type: reference' pair (and an optional "
                f"unit), e.g. {{metric: hours_saved}}, got {spec!r}"
            )
        ((kind, ref),) = spec.items()
        kind, ref = str(kind).strip(), str(ref).strip()
        if kind not in SOURCE_TYPES:
            raise LedgerError(
                f"input {name!r}: unknown source type {kind!r}; fix: use one of {', '.join(SOURCE_TYPES)}"
            )
        parts = ref.split(".")
        if not all(_NAME.match(p) for p in parts) or len(parts) > (2 if kind == "metric" else 1):
            raise LedgerError(f"input {name!r}: {kind} reference {ref!r} is not a name")
        if not _NAME.match(name):
            raise LedgerError(f"input name {name!r} is not a lowercase identifier")
        return cls(name=name, source_type=kind, ref=ref, unit=unit)

    @property
    def metric(self) -> str:
        """The metric's name (``hours_saved`` of ``hours_saved.actual_minutes``)."""
        return self.ref.split(".", 1)[0]

    @property
    def column(self) -> str:
        """The metric column this input is (``value`` unless an extra column is named)."""
        return self.ref.split(".", 1)[1] if "." in self.ref else "value"

    @property
    def source_ref(self) -> str:
        """The reference as the ledger writes it (cost rows and events add detail per week)."""
        if self.source_type == "metric":
            return f"metrics.{self.ref}"
        if self.source_type == "assumption":
            return self.ref
        if self.source_type == "cost_rows":
            return f"staging.cost_weeks[{self.ref}]"
        return f"staging.ai_events.{self.ref}"

    @property
    def source_object(self) -> str:
        """The qualified object whose SQL produces this input's source rows."""
        if self.source_type == "metric":
            return f"metrics.{self.metric}"
        return SOURCE_OBJECT[self.source_type]


@dataclass(frozen=True)
class LineSpec:
    """A ROI line as its header declares it."""

    line_id: str
    title: str
    category: str
    formula: Formula
    inputs: tuple[InputSpec, ...]
    owner: str | None
    definition: SqlDefinition

    @classmethod
    def from_definition(cls, d: SqlDefinition) -> LineSpec:
        header = d.header
        if not isinstance(header, RoiHeader):
            raise LedgerError(f"{d.qualified} is not a ROI line")
        if not header.formula:
            raise LedgerError(
                "the header has no formula; fix: add 'formula: ...' over the named inputs"
            )
        try:
            formula = Formula.parse(header.formula)
        except FormulaError as exc:
            raise LedgerError(f"header formula: {exc}") from exc
        if not header.inputs:
            raise LedgerError("the header has no inputs; fix: map each formula name to its source")
        inputs = tuple(InputSpec.parse(n, s) for n, s in header.inputs.items())
        names = [i.name for i in inputs]
        missing = [n for n in formula.names if n not in names]
        unused = [n for n in names if n not in formula.names]
        if missing:
            raise LedgerError(
                f"formula names {', '.join(missing)} that are not in inputs; fix: declare "
                "each one under inputs with its source"
            )
        if unused:
            raise LedgerError(
                f"inputs {', '.join(unused)} are not used by the formula; fix: remove them or "
                "use them in the formula"
            )
        columns = set(d.columns or ())
        absent = [c for c in [*names, "amount"] if c not in columns]
        if absent:
            raise LedgerError(
                f"the SELECT does not return {', '.join(absent)}; fix: return one DECIMAL "
                "column per input and amount DECIMAL(38,10)"
            )
        return cls(
            line_id=d.name,
            title=header.title,
            category=header.category.value,
            formula=formula,
            inputs=inputs,
            owner=header.owner,
            definition=d,
        )


@dataclass(frozen=True)
class LineResult:
    line_id: str
    status: str  # ok | failed
    rows: int
    error: str | None = None


@dataclass(frozen=True)
class LedgerResult:
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


@dataclass(frozen=True)
class LedgerInput:
    """One input of a ledger row, as in ``main.roi_ledger.inputs``."""

    name: str
    value: Decimal
    unit: str | None
    source_type: str
    source_ref: str
    sql_sha256: str | None
    effective_from: str | None
    owner: str | None

    def as_json(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "value": decimal_text(self.value),
            "unit": self.unit,
            "source_type": self.source_type,
            "source_ref": self.source_ref,
            "sql_sha256": self.sql_sha256,
            "effective_from": self.effective_from,
            "owner": self.owner,
        }

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> LedgerInput:
        return cls(
            name=str(item["name"]),
            value=Decimal(str(item["value"])),
            unit=item.get("unit"),
            source_type=str(item.get("source_type")),
            source_ref=str(item.get("source_ref")),
            sql_sha256=item.get("sql_sha256"),
            effective_from=item.get("effective_from"),
            owner=item.get("owner"),
        )


@dataclass(frozen=True)
class LedgerEntry:
    """One row of ``main.roi_ledger``."""

    week_start: dt.date
    line_id: str
    category: str
    title: str
    formula: str
    formula_filled: str
    inputs: tuple[LedgerInput, ...]
    amount: Decimal
    currency: str

    def values(self) -> dict[str, Decimal]:
        return {i.name: i.value for i in self.inputs}

    def inputs_json(self) -> str:
        return canonical_json([i.as_json() for i in self.inputs])


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def line_specs(registry: Registry) -> tuple[list[LineSpec], dict[str, str]]:
    """(valid ROI lines by name, {line_id: problem} for the invalid ones)."""
    specs: list[LineSpec] = []
    problems: dict[str, str] = {}
    for d in sorted(registry.by_schema()["roi"], key=lambda d: d.name):
        try:
            specs.append(LineSpec.from_definition(d))
        except LedgerError as exc:
            problems[d.name] = f"{d.path}: {exc}"
    for _q, broken in sorted(registry.broken.items()):
        if broken.schema == "roi":
            problems[broken.name] = f"invalid definition: {broken.message}"
    return specs, problems


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
    entries: list[LedgerEntry] = []
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
    entries.sort(key=lambda e: (e.week_start, e.line_id))
    if entries:
        _insert(
            con,
            "main.roi_ledger",
            LEDGER_COLUMNS,
            [
                [
                    e.week_start.isoformat(),
                    e.line_id,
                    e.category,
                    e.title,
                    e.formula,
                    e.formula_filled,
                    e.inputs_json(),
                    amount_text(e.amount),
                    e.currency,
                ]
                for e in entries
            ],
        )
    _write_sql(con, registry, specs)
    ordered = tuple(results[name] for name in sorted(results))
    return LedgerResult(lines=ordered, rows=len(entries))


def read_ledger(
    con: duckdb.DuckDBPyConnection,
    start: dt.date | None = None,
    end: dt.date | None = None,
    line_id: str | None = None,
) -> list[LedgerEntry]:
    """Rows of ``main.roi_ledger`` with ``start <= week_start <= end``, by week then line."""
    where: list[str] = ["true"]
    args: list[object] = []
    if start is not None:
        where.append("week_start >= ?")
        args.append(start)
    if end is not None:
        where.append("week_start <= ?")
        args.append(end)
    if line_id is not None:
        where.append("line_id = ?")
        args.append(line_id)
    try:
        rows = _fetch(
            con,
            "select week_start, line_id, category, title, formula, formula_filled, "
            "inputs::varchar, amount::varchar, currency from main.roi_ledger where "
            + " and ".join(where)
            + " order by week_start, line_id",
            args,
        )
    except duckdb.CatalogException as exc:
        raise LedgerMissing(
            "the snapshot has no main.roi_ledger; fix: rebuild it (`outcomes build`) with the "
            "ROI lines in sql/roi"
        ) from exc
    return [
        LedgerEntry(
            week_start=r[0],
            line_id=r[1],
            category=r[2],
            title=r[3],
            formula=r[4],
            formula_filled=r[5],
            inputs=tuple(LedgerInput.from_json(i) for i in json.loads(r[6])),
            amount=Decimal(r[7]),
            currency=r[8],
        )
        for r in rows
    ]


def ledger_csv(
    con: duckdb.DuckDBPyConnection, start: dt.date | None = None, end: dt.date | None = None
) -> bytes:
    """The ledger as CSV bytes: the contract columns (amount with 10 places) + ``amount_display``.

    Deterministic: ordered by week_start, line_id; ``\\n`` line ends; UTF-8.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*LEDGER_COLUMNS, "amount_display"])
    for e in read_ledger(con, start, end):
        writer.writerow(
            [
                e.week_start.isoformat(),
                e.line_id,
                e.category,
                e.title,
                e.formula,
                e.formula_filled,
                e.inputs_json(),
                amount_text(e.amount),
                e.currency,
                display(e.amount),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def quantize_amount(value: Decimal) -> Decimal:
    """The ledger's rounding of a formula value: half up (away from zero) to 10 places."""
    return value.quantize(AMOUNT_PLACES, rounding=ROUND_HALF_UP)


# -- one line --------------------------------------------------------------------------------


def _line_entries(
    con: duckdb.DuckDBPyConnection, registry: Registry, settings: Settings, spec: LineSpec
) -> list[LedgerEntry]:
    table = f"roi.{spec.line_id}"
    types = dict(_fetch(con, f"select column_name, column_type from (describe {table})"))
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
    rows = _fetch(
        con, f"select week_start, {select}, amount::varchar from {table} order by week_start"
    )
    weeks = [r[0] for r in rows]
    if any(w is None for w in weeks):
        raise LedgerError("a row has no week_start")
    if len(set(weeks)) != len(weeks):
        dupes = sorted({w for w in weeks if weeks.count(w) > 1})
        raise LedgerError(
            f"more than one row for week {dupes[0].isoformat()}; fix: one row per week"
        )
    sources = {i.name: _Source.load(con, registry, settings, spec, i) for i in spec.inputs}
    entries = []
    for row in rows:
        week = row[0]
        where = f"week {week.isoformat()}"
        values: dict[str, Decimal] = {}
        for i, text in zip(spec.inputs, row[1:-1], strict=True):
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
        inputs = tuple(sources[i.name].describe(week, values[i.name]) for i in spec.inputs)
        entries.append(
            LedgerEntry(
                week_start=week,
                line_id=spec.line_id,
                category=spec.category,
                title=spec.title,
                formula=spec.formula.text,
                formula_filled=filled,
                inputs=inputs,
                amount=amount,
                currency=settings.currency,
            )
        )
    return entries


@dataclass
class _Source:
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
    ) -> _Source:
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
            for week, value in _fetch(con, sql, args):
                if value is not None:
                    by_week[week] = (Decimal(value), spec.source_ref)
        elif spec.source_type == "assumption":
            for eff, value, a_unit, a_owner in _fetch(
                con,
                "select effective_from, value::varchar, unit, owner from staging.assumptions "
                "where key = ? order by effective_from",
                [spec.ref],
            ):
                versions.append((eff, Decimal(value), a_unit, a_owner))
        elif spec.source_type == "cost_rows":
            unit = settings.currency
            for week, ids, total in _fetch(
                con,
                "select week_start, list(cost_id order by cost_id), sum(amount)::varchar "
                "from staging.cost_weeks where category = ? group by week_start",
                [spec.ref],
            ):
                by_week[week] = (Decimal(total), f"{spec.source_ref}: {', '.join(ids)}")
        else:
            columns = {
                c for (c,) in _fetch(con, "select column_name from (describe staging.ai_events)")
            }
            if spec.ref not in columns:
                raise LedgerError(
                    f"input {spec.name}: staging.ai_events has no column {spec.ref!r}"
                )
            unit = "USD" if spec.ref == "cost_usd" else None
            for week, total, n in _fetch(
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
                value,
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
            spec.name, value, self.unit, spec.source_type, ref, self.sql_sha256, None, self.owner
        )


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
        for (name,) in _fetch(
            con,
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = ?",
            [schema],
        )
    }


def _fetch(
    con: duckdb.DuckDBPyConnection, sql: str, args: Sequence[object] | None = None
) -> list[Any]:
    cur = con.cursor()
    try:
        return cur.execute(sql, list(args or [])).fetchall()
    finally:
        cur.close()
