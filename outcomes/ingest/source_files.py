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
import pyarrow as pa
import pyarrow.parquet as pq

from outcomes.core.contracts import Contract
from outcomes.core.quoting import quote_ident, quote_literal
from outcomes.ingest.csv_records import check_unique, header_key, read_csv_records
from outcomes.ingest.json_records import read_json_records
from outcomes.ingest.load_ledger import IngestError, utc_now
from outcomes.ingest.record_sink import Tally
from outcomes.ingest.scratch_tables import SOURCE_TABLE, SOURCE_VIEW

FORMATS: dict[str, Literal["csv", "parquet", "jsonl"]] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}

_READ_ERRORS = (
    pa.ArrowException,
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

_ONE = "expected a single value."

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
    rows: int = 0  # records in SOURCE_VIEW (the tally's records less the skipped ones)
    cutoff: datetime = field(default_factory=utc_now)
    tally: Tally = field(default_factory=Tally)

    def text_kept(self) -> list[int]:
        """Source columns whose text `TYPED_TABLE` keeps for quarantine (others are re-derived)."""
        keep = []
        for i, name in enumerate(self.columns):
            cname = header_key(name)
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
    nested: set[str] = set()
    try:
        if fmt == "parquet":
            described = con.execute(f"describe select * from read_parquet({path})").fetchall()
            columns = [str(r[0]) for r in described]
            # DuckDB renames a repeated name (EVENT_ID -> EVENT_ID_1): check the file's own
            check_unique(f, pq.read_schema(f).names, "its columns")
            types = [str(r[1]) for r in described]
            nested = {c for c, t in zip(columns, types, strict=True) if _is_nested(t)}
            [(records,)] = con.execute(
                f"select sum(num_rows) from parquet_file_metadata({path})"
            ).fetchall()
            tally = Tally(records=int(records or 0))
        elif fmt == "csv":
            columns, tally = read_csv_records(con, f, contract)
            types = ["VARCHAR"] * len(columns)
        else:
            columns, tally = read_json_records(con, f, contract)
            types = ["VARCHAR"] * len(columns)
    except _READ_ERRORS as exc:
        raise _read_error(f, fmt, exc) from None
    except OSError as exc:
        raise IngestError(
            f"Cannot ingest {f}: reading it failed ({exc.strerror or exc}). Check the file and "
            "send it again.",
            path=f,
            hint="check the file",
        ) from None
    if not columns:
        raise _empty(f)
    mapping, extra = _map_columns(f, contract, columns)
    native = {
        name
        for name, i in mapping.items()
        if fmt == "parquet" and _fits(types[i], contract.column(name).type)
    }
    plan = SourcePlan(
        f=f, contract=contract, columns=columns, mapping=mapping, extra=extra, native=native
    )
    plan.tally = tally
    by_index = {i: name for name, i in mapping.items()}
    exprs, faults = [], []
    for i, name in enumerate(columns):
        contract_col = by_index.get(i)
        if contract_col in native:
            exprs.append(f"{quote_ident(name)} as n{i}")
        elif fmt == "parquet":
            exprs.append(f"cast({quote_ident(name)} as varchar) as s{i}")
        else:
            exprs.append(f"s{i}")
        if contract_col is None or contract_col in native:
            continue
        value = quote_ident(name) if fmt == "parquet" else f"s{i}"
        if name in nested:
            why = f'Column "{contract_col}" holds a nested value (list, struct or map); '
            faults.append(f"case when {value} is not null then {quote_literal(why + _ONE)} end")
        else:
            why = f'Column "{contract_col}" holds a NUL byte; remove it at the source.'
            text = f"cast({value} as varchar)" if fmt == "parquet" else value
            faults.append(f"case when contains({text}, chr(0)) then {quote_literal(why)} end")
    if fmt == "parquet":
        source = f"read_parquet({path}, file_row_number = true)"
        meta = "file_row_number + 1 as _rn, cast(null as bigint) as _line, "
        first_fault, record = "null", "cast(null as varchar) as _record"
    else:
        source, meta = SOURCE_TABLE, "_rn, _line, "
        first_fault, record = "_fault", "_record"
    fault = f"nullif(concat_ws(' ', {', '.join([first_fault, *faults])}), '') as _fault"
    con.execute(
        f"create temp view {SOURCE_VIEW} as select {meta}{fault}, {record}, {', '.join(exprs)} "
        f"from {source}"
    )
    try:
        plan.rows = con.execute(f"select count(*) from {SOURCE_VIEW}").fetchall()[0][0]
    except _READ_ERRORS as exc:
        raise _read_error(f, fmt, exc) from None
    if plan.rows + tally.rows_skipped == 0:
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
    """Contract column -> index of its source column (names match case-insensitively).

    Any name given twice (case-insensitive, blanks trimmed) refuses the file.
    """
    check_unique(f, columns, "its columns")
    wanted = set(contract.names)
    mapping: dict[str, int] = {}
    extra: list[str] = []
    for i, raw in enumerate(columns):
        name = header_key(raw)
        if name in wanted:
            mapping[name] = i
        else:
            extra.append(raw)
    return mapping, extra


def _is_nested(duck_type: str) -> bool:
    t = duck_type.upper()
    return t.endswith("]") or t.startswith(("STRUCT", "MAP", "UNION"))


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
