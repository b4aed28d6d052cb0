"""Reading a source file (CSV, Parquet, JSON lines) as columns, mapped onto the contract.

:func:`open_source` creates the view ``SOURCE_VIEW`` over the file: every column as text,
except Parquet columns whose type fits the contract's (read natively, no text round trip),
and refuses (:class:`~outcomes.ingest.load_ledger.IngestError`) a file that cannot be read,
is empty or lacks a required column.

>>> _fits("DECIMAL(10,2)", "DECIMAL(12,4)"), _fits("DOUBLE", "BIGINT")
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import duckdb

from outcomes.core.contracts import Contract
from outcomes.core.quoting import quote_ident, quote_literal
from outcomes.ingest.load_ledger import IngestError, utc_now
from outcomes.ingest.scratch_tables import SOURCE_TABLE, SOURCE_VIEW

FORMATS: dict[str, Literal["csv", "parquet", "jsonl"]] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}

_READ_ERRORS = (
    duckdb.IOException,
    duckdb.InvalidInputException,
    duckdb.ConversionException,
    duckdb.BinderException,
)

_FORMAT_NAMES = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON lines"}

_FORMAT_HINTS = {
    "csv": "Check that it is a UTF-8 CSV file with one header row and the same number of "
    "fields on every line",
    "parquet": "Check that it is a complete Parquet file (re-export it if it was cut off)",
    "jsonl": "Check that it holds one JSON object per line (or a JSON array of objects)",
}

_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}


@dataclass
class SourcePlan:
    """What one file holds and how its columns map onto the contract."""

    f: Path
    contract: Contract
    columns: list[str]  # source column names, file order
    mapping: dict[str, int]  # contract column -> source column index
    extra: list[str]  # source columns the contract does not know
    native: set[str]  # contract columns read in their Parquet type (no text round trip)
    rows: int = 0
    cutoff: datetime = field(default_factory=utc_now)

    def text_kept(self) -> list[int]:
        """Source columns whose text `TYPED_TABLE` keeps for quarantine (others are re-derived)."""
        keep = []
        for i, name in enumerate(self.columns):
            cname = name.strip().lower()
            if cname not in self.mapping or self.mapping[cname] != i:
                keep.append(i)  # extra column
            elif cname not in self.native and self.contract.column(cname).type != "VARCHAR":
                keep.append(i)  # its text may not survive the cast
        return keep


def open_source(
    con: duckdb.DuckDBPyConnection, f: Path, fmt: str, contract: Contract
) -> SourcePlan:
    """Read the file's columns, refuse it if unusable, create the view `SOURCE_VIEW` over it."""
    path = quote_literal(str(f))
    try:
        if fmt == "parquet":
            described = con.execute(f"describe select * from read_parquet({path})").fetchall()
            types = [str(r[1]) for r in described]
        elif fmt == "csv":
            if f.stat().st_size == 0:
                raise _empty(f)
            reader = f"read_csv({path}, all_varchar = true, header = true)"
            con.execute(f"create temp table {SOURCE_TABLE} as select * from {reader}")
            types = []
        else:
            layout = "'auto'" if f.suffix.lower() == ".json" else "'newline_delimited'"
            probe = f"read_json({path}, format = {layout}, sample_size = -1)"
            names = [r[0] for r in con.execute(f"describe select * from {probe}").fetchall()]
            spec = ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in names)
            reader = f"read_json({path}, format = {layout}, columns = {{{spec}}})"
            con.execute(f"create temp table {SOURCE_TABLE} as select * from {reader}")
            types = []
        if fmt != "parquet":
            described = con.execute(f"describe {SOURCE_TABLE}").fetchall()
            types = ["VARCHAR"] * len(described)
    except _READ_ERRORS as exc:
        raise _read_error(f, fmt, exc) from None
    columns = [str(r[0]) for r in described]
    mapping, extra = _map_columns(f, contract, columns)
    native = {
        name
        for name, i in mapping.items()
        if fmt == "parquet" and _fits(types[i], contract.column(name).type)
    }
    plan = SourcePlan(
        f=f, contract=contract, columns=columns, mapping=mapping, extra=extra, native=native
    )
    by_index = {i: name for name, i in mapping.items()}
    exprs = []
    for i, name in enumerate(columns):
        if by_index.get(i) in native:
            exprs.append(f"{quote_ident(name)} as n{i}")
        elif fmt == "parquet":
            exprs.append(f"cast({quote_ident(name)} as varchar) as s{i}")
        else:
            exprs.append(f"{quote_ident(name)} as s{i}")
    if fmt == "parquet":
        source, rn = f"read_parquet({path}, file_row_number = true)", "file_row_number + 1"
    else:
        source, rn = SOURCE_TABLE, "rowid + 1"
    con.execute(
        f"create temp view {SOURCE_VIEW} as select {rn} as _rn, {', '.join(exprs)} from {source}"
    )
    try:
        plan.rows = con.execute(f"select count(*) from {SOURCE_VIEW}").fetchall()[0][0]
    except _READ_ERRORS as exc:
        raise _read_error(f, fmt, exc) from None
    if plan.rows == 0:
        raise _empty(f)
    missing = [c for c in contract.required_columns if c not in mapping]
    if missing:
        found = ", ".join(repr(c) for c in columns)
        raise IngestError(
            f"Cannot ingest {f}: required column(s) {', '.join(missing)} missing for table "
            f"{contract.table} (found: {found}). Add them to the file, check the delimiter "
            "and header row, or check that --table is right.",
            path=f,
            hint="add the missing columns",
        )
    return plan


def _map_columns(
    f: Path, contract: Contract, columns: list[str]
) -> tuple[dict[str, int], list[str]]:
    """Contract column -> index of its source column (names match case-insensitively)."""
    wanted = set(contract.names)
    mapping: dict[str, int] = {}
    extra: list[str] = []
    for i, raw in enumerate(columns):
        name = raw.strip().lower()
        if name not in wanted:
            extra.append(raw)
        elif name in mapping:
            raise IngestError(
                f"Cannot ingest {f}: column {name} appears twice ({columns[mapping[name]]!r} "
                f"and {raw!r}). Keep one of them and send the file again.",
                path=f,
                hint="remove the duplicate column",
            )
        else:
            mapping[name] = i
    return mapping, extra


def _fits(native: str, target: str) -> bool:
    """Can a Parquet column of DuckDB type `native` be cast to `target` without changing values?"""
    native = native.upper()
    if target == "TIMESTAMP":
        return native.startswith("TIMESTAMP")
    if target in ("DATE", "BOOLEAN"):
        return native == target
    if target == "BIGINT":
        return native in _INTEGERS
    if target == "DOUBLE":
        return native in _INTEGERS or native in ("FLOAT", "DOUBLE") or native.startswith("DECIMAL")
    if target.startswith("DECIMAL") and native.startswith("DECIMAL("):
        p, s = (int(x) for x in native[8:-1].split(","))
        tp, ts = (int(x) for x in target[8:-1].split(","))
        return s <= ts and p - s <= tp - ts
    return False


def _read_error(f: Path, fmt: str, exc: Exception) -> IngestError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return IngestError(
        f"Cannot ingest {f}: it cannot be read as {_FORMAT_NAMES[fmt]} ({first}). "
        f"{_FORMAT_HINTS[fmt]}, or give the file the extension of its real format.",
        path=f,
        hint=_FORMAT_HINTS[fmt],
    )


def _empty(f: Path) -> IngestError:
    return IngestError(
        f"Cannot ingest {f}: it has no data rows. Check that the export finished and send "
        "the file again.",
        path=f,
        hint="send a file with data rows",
    )
