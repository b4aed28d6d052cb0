"""The ROI ledger model: rows of ``main.roi_ledger``, their inputs, text forms and reading.

One row per ROI line per week and AI system (docs/ARCHITECTURE.md, "ROI ledger"): the line's
formula, the formula with the numbers in it, every input with its source, and the amount
(DECIMAL(38,10)). The company ledger is the sum over systems of each (week, line)
(:func:`company_rows`).
Every reader goes through this module: the summary, a period close, the audit pack, the
workbook, trace, sensitivity and the app. :mod:`outcomes.roi.ledger_build` writes the table.

Text forms: :func:`decimal_text` (inputs, no trailing zeros), :func:`amount_text` (amounts,
10 places), :func:`display` and :func:`cents` (rounded to cents, for display only), and
:meth:`LedgerRow.canonical` (the JSON a close stores and :func:`ledger_sha256` hashes).

>>> decimal_text(Decimal("62.500000")), decimal_text(Decimal("1.2E+5"))
('62.5', '120000')
>>> amount_text(Decimal("12.5"))
'12.5000000000'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import duckdb

from outcomes.core.csv_cells import csv_bytes
from outcomes.errors import OutcomesError

AMOUNT_PLACES = Decimal("1E-10")  # DECIMAL(38,10), the ledger's amount type
CENTS = Decimal("0.01")
LEDGER_COLUMNS = (
    "week_start",
    "system",
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
    "assumption_system",
)
COMPANY = ""  # the system of a company row (company_rows) and of rows frozen before systems


class LedgerError(OutcomesError, ValueError):
    """A ROI line that cannot go into the ledger (bad header, SQL or figures)."""


class LedgerMissing(LedgerError):
    """The snapshot has no ``main.roi_ledger`` (built before the ledger existed)."""


# -- text forms ------------------------------------------------------------------------------


def decimal_text(number: Decimal) -> str:
    """Canonical decimal text: no exponent, no trailing zeros (``62.500000`` -> ``62.5``)."""
    text = format(number.normalize(), "f")
    return "0" if text in ("0", "-0") else text


def amount_text(amount: Decimal) -> str:
    """Exact decimal text of an amount with the ledger's 10 places.

    >>> amount_text(Decimal("1153.846153846153"))
    '1153.8461538462'
    """
    with localcontext() as ctx:
        ctx.prec = 60  # DECIMAL(38,10) has more digits than the default context keeps
        return f"{Decimal(amount).quantize(AMOUNT_PLACES):f}"


def display(number: Decimal | None) -> str:
    """Money for display: rounded half up to cents, thousands separated (``-1,234.57``).

    >>> display(Decimal("-1234.565")), display(None)
    ('-1,234.57', '')
    """
    if number is None:
        return ""
    return f"{number.quantize(CENTS, rounding=ROUND_HALF_UP):,}"


def cents(amount: Decimal) -> str:
    """The display amount of a file: rounded half up to cents, no separators.

    >>> cents(Decimal("1.005")), cents(Decimal("-2.675"))
    ('1.01', '-2.68')
    """
    return f"{Decimal(amount).quantize(CENTS, rounding=ROUND_HALF_UP):f}"


def quantize_amount(value: Decimal) -> Decimal:
    """The ledger's rounding of a formula value: half up (away from zero) to 10 places.

    >>> quantize_amount(Decimal("2") / Decimal("3"))
    Decimal('0.6666666667')
    """
    return value.quantize(AMOUNT_PLACES, rounding=ROUND_HALF_UP)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value gives the same bytes.

    >>> canonical_json({"b": 1, "a": [None, "x"]})
    '{"a":[null,"x"],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# -- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerInput:
    """One named input of a ledger row, as in ``main.roi_ledger.inputs``.

    ``value`` is exact decimal text as the ledger stores it (the build writes
    :func:`decimal_text`); :attr:`decimal` is the number.
    """

    name: str
    value: str
    unit: str | None = None
    source_type: str | None = None  # metric | assumption | cost_rows | events
    source_ref: str | None = None
    sql_sha256: str | None = None
    effective_from: str | None = None
    owner: str | None = None
    # an assumption: the system whose own version was read (None: the company-wide one)
    assumption_system: str | None = None

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.value)

    def as_dict(self) -> dict[str, str | None]:
        """The input as the ledger's JSON holds it."""
        return {f: getattr(self, f) for f in INPUT_FIELDS}

    @classmethod
    def from_mapping(cls, item: Mapping[str, Any]) -> LedgerInput:
        """From the ledger's JSON, a frozen close row or a ``lines.csv`` row of an audit pack."""
        values = {f: _text_or_none(item.get(f)) for f in INPUT_FIELDS}
        if not values["name"] or values["value"] is None:
            raise ValueError(f"ledger input without name or value: {dict(item)!r}")
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class LedgerRow:
    """One row of ``main.roi_ledger``: one ROI line in one week for one AI system.

    ``system`` is :data:`COMPANY` for a row of :func:`company_rows` (the sum over systems).
    """

    week_start: dt.date
    line_id: str
    category: str  # benefit | cost
    title: str
    formula: str
    formula_filled: str
    inputs: tuple[LedgerInput, ...]
    amount: Decimal
    currency: str
    system: str = COMPANY

    @property
    def key(self) -> tuple[dt.date, str, str]:
        return (self.week_start, self.system, self.line_id)

    def input_values(self) -> dict[str, Decimal]:
        """``{input name: value}``, what the formula is evaluated over."""
        return {i.name: i.decimal for i in self.inputs}

    def inputs_json(self) -> str:
        """The inputs column as the ledger writes it (:func:`canonical_json`)."""
        return canonical_json([i.as_dict() for i in self.inputs])

    def texts(self) -> list[str]:
        """The row in :data:`LEDGER_COLUMNS` order, as the table and its CSV hold it."""
        return [
            self.week_start.isoformat(),
            self.system,
            self.line_id,
            self.category,
            self.title,
            self.formula,
            self.formula_filled,
            self.inputs_json(),
            amount_text(self.amount),
            self.currency,
        ]

    def canonical(self) -> dict[str, Any]:
        """The row as canonical JSON-ready text (dates ISO, amounts 10-place decimal text)."""
        return {
            "week_start": self.week_start.isoformat(),
            "system": self.system,
            "line_id": self.line_id,
            "category": self.category,
            "title": self.title,
            "formula": self.formula,
            "formula_filled": self.formula_filled,
            "inputs": [i.as_dict() for i in self.inputs],
            "amount": amount_text(self.amount),
            "currency": self.currency,
        }

    @classmethod
    def from_canonical(cls, row: Mapping[str, Any]) -> LedgerRow:
        """From :meth:`canonical` (``inputs`` as a list or as JSON text) or a table row."""
        inputs = row["inputs"]
        if isinstance(inputs, str):
            inputs = json.loads(inputs, parse_float=Decimal)
        return cls(
            week_start=_as_date(row["week_start"]),
            line_id=str(row["line_id"]),
            category=str(row["category"]),
            title=str(row["title"] or ""),
            formula=str(row["formula"]),
            formula_filled=str(row["formula_filled"] or ""),
            inputs=tuple(LedgerInput.from_mapping(i) for i in inputs),
            amount=Decimal(str(row["amount"])),
            currency=str(row["currency"]),
            system=str(row.get("system") or COMPANY),
        )


def sort_rows(rows: Iterable[LedgerRow]) -> list[LedgerRow]:
    """The rows by week, then system, then line (the ledger's order)."""
    return sorted(rows, key=lambda r: r.key)


# -- reading ---------------------------------------------------------------------------------


def read_ledger(
    con: duckdb.DuckDBPyConnection,
    start: dt.date | None = None,
    end: dt.date | None = None,
    line_id: str | None = None,
    system: str | None = None,
) -> list[LedgerRow]:
    """Rows of ``main.roi_ledger`` with ``start <= week_start <= end`` (of one ``system``, or
    of every system when None), by week, system, then line."""
    where: list[str] = ["true"]
    args: list[object] = []
    for clause, value in (
        ("week_start >= ?", start),
        ("week_start <= ?", end),
        ("line_id = ?", line_id),
        ("system = ?", system),
    ):
        if value is not None:
            where.append(clause)
            args.append(value)
    # Executed on ``con`` itself (results fetched at once): a cursor of the app's connection
    # would start on the in-memory catalog instead of the attached snapshot.
    try:
        rows = con.execute(
            "select week_start, system, line_id, category, title, formula, formula_filled, "
            "inputs::varchar, amount::varchar, currency from main.roi_ledger where "
            + " and ".join(where)
            + " order by week_start, system, line_id",
            args,
        ).fetchall()
    except duckdb.CatalogException as exc:
        raise LedgerMissing(
            "the snapshot has no main.roi_ledger; fix: rebuild it (`outcomes build`) with the "
            "ROI lines in sql/roi"
        ) from exc
    return [LedgerRow.from_canonical(dict(zip(LEDGER_COLUMNS, r, strict=True))) for r in rows]


def ledger_csv(
    con: duckdb.DuckDBPyConnection,
    start: dt.date | None = None,
    end: dt.date | None = None,
    system: str | None = None,
) -> bytes:
    """The ledger as CSV bytes: the contract columns (amount with 10 places) + ``amount_display``.

    Deterministic: ordered by week_start, system, line_id; ``\\n`` line ends; UTF-8.
    """
    rows = read_ledger(
        con, start, end, system=system
    )  # formula-like cells neutralised (core.csv_cells)
    return csv_bytes(
        [*LEDGER_COLUMNS, "amount_display"], ([*r.texts(), display(r.amount)] for r in rows)
    )


def systems_of(rows: Iterable[LedgerRow]) -> list[str]:
    """The systems of ``rows``, sorted.

    >>> from dataclasses import replace
    >>> r = LedgerRow(dt.date(2026, 1, 5), "l", "cost", "", "x", "", (), Decimal(1), "USD", "b")
    >>> systems_of([r, replace(r, system="a")])
    ['a', 'b']
    """
    return sorted({r.system for r in rows})


def company_rows(rows: Iterable[LedgerRow]) -> list[LedgerRow]:
    """The company ledger: one row per (week, line), its amount the exact sum over systems.

    Inputs and formula_filled are not summed (they are per system): a company row carries no
    inputs and its formula_filled names the systems summed.

    >>> from dataclasses import replace
    >>> r = LedgerRow(dt.date(2026, 1, 5), "l", "cost", "L", "x", "", (), Decimal("1.5"), "USD", "a")
    >>> [(c.system, c.amount, c.formula_filled) for c in company_rows([r, replace(r, system="b")])]
    [('', Decimal('3.0'), 'sum over systems a, b')]
    """
    groups: dict[tuple[dt.date, str], list[LedgerRow]] = {}
    for r in rows:
        groups.setdefault((r.week_start, r.line_id), []).append(r)
    out = []
    for (week, line_id), group in sorted(groups.items()):
        first = group[0]
        out.append(
            LedgerRow(
                week_start=week,
                line_id=line_id,
                category=first.category,
                title=first.title,
                formula=first.formula,
                formula_filled="sum over systems " + ", ".join(systems_of(group)),
                inputs=(),
                amount=sum((r.amount for r in group), Decimal(0)),
                currency=first.currency,
                system=COMPANY,
            )
        )
    return out


def ledger_sha256(rows: Iterable[LedgerRow]) -> str:
    """sha256 of the canonical ledger: one compact sorted-key JSON object per row, LF-ended.

    The same function hashes a close and an audit pack, so the two can be compared.
    """
    buffer = io.StringIO()
    for row in sort_rows(rows):
        buffer.write(json.dumps(row.canonical(), sort_keys=True, separators=(",", ":")))
        buffer.write("\n")
    return hashlib.sha256(buffer.getvalue().encode()).hexdigest()


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise ValueError(f"ledger input value {value!r} is a float; the ledger stores decimal text")
    return str(value)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
