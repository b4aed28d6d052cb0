"""Ingest source files (CSV, Parquet, JSON lines) into the raw store, validated in SQL.

Per file, in one transaction: read every column as text, number the rows, check every rule of
the table's contract in set-based SQL (no Python loop over rows), append accepted rows to
`raw.<table>` with the load id, write each rejected row once to `raw.quarantine` with all its
failures, and add a row to the load ledger `raw.loads`. Any error rolls the whole file back.

>>> import tempfile, pathlib
>>> from outcomes.config import Settings
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "users.csv").write_text(
...     "user_id,team,eligible_from\\nu1,ops,2026-01-05\\nu2,,2026-01-05\\n")
>>> s = Settings(raw_path=d / "raw.duckdb")
>>> [r] = ingest_path(d / "users.csv", "users", s, loaded_by="doc")
>>> r.status, r.rows_in, r.rows_accepted, r.rows_quarantined
('loaded', 2, 1, 1)
>>> ingest_path(d / "users.csv", "users", s)[0].status
'skipped_duplicate_file'
>>> list(ingest_status(s)["status"])
['loaded', 'skipped_duplicate_file']
"""

from __future__ import annotations

import getpass
import hashlib
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, TypedDict

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict

from outcomes.config import Settings
from outcomes.core.contracts import CONTRACTS, Column, Contract, UnknownTableError, load_contract
from outcomes.errors import OutcomesError
from outcomes.store.raw import DEFAULT_LOCK_TIMEOUT, LOADS_COLUMNS, open_raw_store

FORMATS: dict[str, Literal["csv", "parquet", "jsonl"]] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}

Progress = Callable[[str], None]


class _LoadBase(TypedDict):
    """The `LoadResult` fields known before a file is read, shared by every outcome."""

    load_id: str
    table_name: str
    source_file: str
    file_format: str | None
    started_at: datetime
    loaded_by: str | None


class IngestError(OutcomesError):
    """A file (or a whole request) that cannot be used; nothing of it was loaded.

    `path` is the file, `hint` says what to do; `results` holds the results of every file
    of the request when raised by `ingest_path` after refusals.
    """

    def __init__(
        self,
        message: str,
        path: Path | str | None = None,
        hint: str | None = None,
        results: list[LoadResult] | None = None,
    ) -> None:
        super().__init__(message)
        self.path = Path(path) if path is not None else None
        self.hint = hint
        self.results = results or []


class LoadResult(BaseModel):
    """One row of the load ledger (`raw.loads`), as returned by `ingest_path`."""

    model_config = ConfigDict(frozen=True)

    load_id: str
    table_name: str
    source_file: str
    file_sha256: str | None
    file_format: str | None
    rows_in: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    rows_corrected: int = 0
    extra_columns: tuple[str, ...] = ()
    started_at: datetime
    finished_at: datetime
    loaded_by: str | None
    status: Literal["loaded", "skipped_duplicate_file", "refused"]
    message: str = ""

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    def summary(self) -> str:
        """One line for the terminal: file, counts, rows/s, message."""
        name = Path(self.source_file).name
        if self.status != "loaded":
            return f"{name}: {self.status}: {self.message}"
        rate = self.rows_in / self.seconds if self.seconds > 0 else float(self.rows_in)
        return f"{name}: {self.message} [{self.load_id}, {self.seconds:.1f} s, {rate:,.0f} rows/s]"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _list_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FORMATS)
        if not files:
            raise IngestError(
                f"Cannot ingest {path}: the folder holds no .csv, .parquet, .jsonl, .ndjson or "
                ".json files. Point to a file, or to the folder that holds the exports.",
                path=path,
                hint="point to a file or a folder of supported files",
            )
        return files
    return [path]


def ingest_path(
    path: Path | str,
    table: str,
    settings: Settings,
    loaded_by: str | None = None,
    progress: Progress | None = None,
    *,
    raise_on_refused: bool = True,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> list[LoadResult]:
    """Ingest a file, or every supported file of a folder (sorted by name), into `table`.

    Returns one `LoadResult` per file (also written to `raw.loads`). Files that cannot be
    used are refused whole and recorded as `refused`; after all files are processed an
    `IngestError` lists them (its `results` has every result) unless `raise_on_refused=False`.
    An unknown table or a missing path raises `IngestError` before anything is touched.
    """
    p = Path(path).absolute()
    if not p.exists():
        raise IngestError(
            f"Cannot ingest {p}: no such file or folder. Check the path and run again.",
            path=p,
            hint="check the path",
        )
    try:
        contract = load_contract(table)
    except UnknownTableError as exc:
        raise IngestError(
            f"Cannot ingest {p}: {exc}. Run again with --table set to one of them.",
            path=p,
            hint="choose one of the known tables",
        ) from None
    files = _list_files(p)
    who = loaded_by or _user()
    say = progress or (lambda _msg: None)
    results: list[LoadResult] = []
    with open_raw_store(settings, write=True, timeout=lock_timeout) as con:
        for f in files:
            result = _ingest_file(con, f, contract, settings, who, say)
            say(result.summary())
            results.append(result)
    refused = [r for r in results if r.status == "refused"]
    if refused and raise_on_refused:
        lines = "\n".join(f"- {r.message}" for r in refused)
        raise IngestError(
            f"{len(refused)} of {len(results)} file(s) refused, nothing of them was loaded:\n{lines}",
            path=refused[0].source_file,
            hint="fix the refused files and ingest them again",
            results=results,
        )
    return results


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER")


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    f: Path,
    contract: Contract,
    settings: Settings,
    loaded_by: str | None,
    say: Progress,
) -> LoadResult:
    started = _now()
    load_id = f"L{started:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    base = _LoadBase(
        load_id=load_id,
        table_name=contract.table,
        source_file=str(f),
        file_format=FORMATS.get(f.suffix.lower()),
        started_at=started,
        loaded_by=loaded_by,
    )
    sha: str | None = None
    try:
        try:
            sha = _sha256(f)
        except OSError as exc:
            raise IngestError(
                f"Cannot ingest {f}: the file cannot be read ({exc.strerror or exc}). "
                "Check that it exists and that you may read it.",
                path=f,
                hint="check the file permissions",
            ) from None
        if base["file_format"] is None:
            raise IngestError(
                f"Cannot ingest {f}: unknown file format {f.suffix or '(no extension)'!r}. "
                "Export it as .csv, .parquet or .jsonl (JSON lines), or give it the "
                "extension of its real format.",
                path=f,
                hint="export as CSV, Parquet or JSON lines",
            )
        earlier = con.execute(
            "select load_id, source_file from raw.loads where table_name = ? and file_sha256 = ? "
            "and status = 'loaded' order by started_at limit 1",
            [contract.table, sha],
        ).fetchall()
        if earlier:
            result = LoadResult(
                **base,
                file_sha256=sha,
                finished_at=_now(),
                status="skipped_duplicate_file",
                message=(
                    f"{f} has the same content (sha256 {sha[:12]}…) as {earlier[0][1]}, already "
                    f"loaded as {earlier[0][0]}; nothing added. Nothing to do."
                ),
            )
            _write_ledger(con, result)
            return result
        return _load_file(con, f, sha, contract, settings, base, say)
    except IngestError as exc:
        result = LoadResult(
            **base, file_sha256=sha, finished_at=_now(), status="refused", message=str(exc)
        )
        _write_ledger(con, result)
        return result


def _load_file(
    con: duckdb.DuckDBPyConnection,
    f: Path,
    sha: str,
    contract: Contract,
    settings: Settings,
    base: _LoadBase,
    say: Progress,
) -> LoadResult:
    t0 = time.perf_counter()
    try:
        # Reading creates only temp objects, outside the transaction: rowids of a temp table
        # created inside one are not 0-based, and they number the rows.
        fmt = base["file_format"]
        assert fmt is not None  # _ingest_file refuses a file of unknown format
        plan = _open_source(con, f, fmt, contract)
        plan.cutoff = _now() + timedelta(hours=settings.future_tolerance_hours)
        if base["file_format"] == "parquet":  # read lazily, while checking
            say(f"{f.name}: {plan.rows:,} rows")
        else:
            _rate(say, f, "read", plan.rows, t0)
        con.begin()
        try:
            result = _load_rows(con, plan, sha, base, say)
            con.commit()
        except BaseException as exc:
            con.rollback()
            if not isinstance(exc, IngestError):
                exc.add_note(f"while ingesting {f}: rolled back, nothing of this file was loaded")
            raise
    finally:
        _drop_temp(con)
    return result


def _load_rows(
    con: duckdb.DuckDBPyConnection, plan: _Plan, sha: str, base: _LoadBase, say: Progress
) -> LoadResult:
    """Check, insert accepted and quarantined rows and the ledger row (inside the transaction)."""
    f, contract, rows_in = plan.f, plan.contract, plan.rows
    t1 = time.perf_counter()
    _create_typed(con, plan)
    accepted, quarantined, corrected = _classify(con, contract)
    _rate(say, f, "validated", rows_in, t1)
    t2 = time.perf_counter()
    _insert_accepted(con, contract, base["load_id"])
    _insert_quarantine(con, plan, base)
    _rate(say, f, "inserted", rows_in, t2)
    if accepted + quarantined != rows_in:  # pragma: no cover - invariant guard
        raise RuntimeError(
            f"{f}: {rows_in} rows in but {accepted} accepted + {quarantined} quarantined"
        )
    msg = f"{rows_in:,} rows: {accepted:,} accepted"
    if corrected:
        msg += f" ({corrected:,} corrections of earlier loads)"
    msg += f", {quarantined:,} quarantined"
    if quarantined:
        msg += f" (see raw.quarantine where load_id = '{base['load_id']}')"
    absent = [c.name for c in contract.columns if c.name not in plan.mapping]
    if absent:
        msg += f"; optional column(s) absent, loaded as null: {', '.join(absent)}"
    if plan.extra:
        msg += f"; extra column(s) not in the contract, not loaded: {', '.join(plan.extra)}"
    result = LoadResult(
        **base,
        file_sha256=sha,
        rows_in=rows_in,
        rows_accepted=accepted,
        rows_quarantined=quarantined,
        rows_corrected=corrected,
        extra_columns=tuple(plan.extra),
        finished_at=_now(),
        status="loaded",
        message=msg,
    )
    _write_ledger(con, result)
    return result


def _rate(say: Progress, f: Path, what: str, rows: int, t0: float) -> None:
    dt = time.perf_counter() - t0
    rate = rows / dt if dt > 0 else float(rows)
    say(f"{f.name}: {what} {rows:,} rows in {dt:.1f} s ({rate:,.0f} rows/s)")


def _write_ledger(con: duckdb.DuckDBPyConnection, r: LoadResult) -> None:
    names = [n for n, _ in LOADS_COLUMNS]
    values = [list(v) if isinstance(v := getattr(r, n), tuple) else v for n in names]
    marks = ", ".join("?" for _ in names)
    con.execute(f"insert into raw.loads ({', '.join(names)}) values ({marks})", values)


def ingest_status(settings: Settings) -> pd.DataFrame:
    """The load ledger, oldest first (for `outcomes status`); empty if nothing was loaded.

    >>> import tempfile, pathlib
    >>> from outcomes.config import Settings
    >>> s = Settings(raw_path=pathlib.Path(tempfile.mkdtemp()) / "raw.duckdb")
    >>> list(ingest_status(s).columns)[:3], len(ingest_status(s))
    (['load_id', 'table_name', 'source_file'], 0)
    """
    with open_raw_store(settings, write=False) as con:
        return con.sql("select * from raw.loads order by started_at, load_id").df()


def quarantine_rows(
    settings: Settings, load_id: str | None = None, limit: int = 1000
) -> pd.DataFrame:
    """Rows of `raw.quarantine` (of one load, or all), oldest load first."""
    with open_raw_store(settings, write=False) as con:
        where = "where load_id = ?" if load_id else ""
        params = [load_id] if load_id else []
        return con.execute(
            f"select * from raw.quarantine {where} order by load_id, row_number limit {int(limit)}",
            params,
        ).df()


# --- SQL compiled from a contract -------------------------------------------------------------
# Temp objects of one file's load; all are created inside the file's transaction.
_SRC = "_ingest_src"  # view: _rn (1-based row number), s<i> (source text) or n<i> (native)
_SRC0 = "_ingest_src0"  # CSV / JSON: the file materialised in file order (rowid = row - 1)
_T = "_ingest_t"  # _rn, kept s<i>, typed contract columns, _bad (fails a rule), _h (row hash)
_FLAGS = "_ingest_flags"  # _rn of duplicate_key / duplicate_row / correction rows

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
class _Plan:
    """What one file holds and how its columns map onto the contract."""

    f: Path
    contract: Contract
    columns: list[str]  # source column names, file order
    mapping: dict[str, int]  # contract column -> source column index
    extra: list[str]  # source columns the contract does not know
    native: set[str]  # contract columns read in their Parquet type (no text round trip)
    rows: int = 0
    cutoff: datetime = field(default_factory=_now)

    def text_kept(self) -> list[int]:
        """Source columns whose text `_T` keeps for quarantine (others are re-derived)."""
        keep = []
        for i, name in enumerate(self.columns):
            cname = name.strip().lower()
            if cname not in self.mapping or self.mapping[cname] != i:
                keep.append(i)  # extra column
            elif cname not in self.native and self.contract.column(cname).type != "VARCHAR":
                keep.append(i)  # its text may not survive the cast
        return keep


def _lit(text: str) -> str:
    """A SQL string literal.

    >>> _lit("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _v(name: str) -> str:
    """Column holding the trimmed source value of contract column `name` (null when blank)."""
    return _ident(f"v:{name}")


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


def _open_source(con: duckdb.DuckDBPyConnection, f: Path, fmt: str, contract: Contract) -> _Plan:
    """Read the file's columns, refuse it if unusable, create the view `_SRC` over it."""
    path = _lit(str(f))
    try:
        if fmt == "parquet":
            described = con.execute(f"describe select * from read_parquet({path})").fetchall()
            types = [str(r[1]) for r in described]
        elif fmt == "csv":
            if f.stat().st_size == 0:
                raise _empty(f)
            reader = f"read_csv({path}, all_varchar = true, header = true)"
            con.execute(f"create temp table {_SRC0} as select * from {reader}")
            types = []
        else:
            layout = "'auto'" if f.suffix.lower() == ".json" else "'newline_delimited'"
            probe = f"read_json({path}, format = {layout}, sample_size = -1)"
            names = [r[0] for r in con.execute(f"describe select * from {probe}").fetchall()]
            spec = ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names)
            reader = f"read_json({path}, format = {layout}, columns = {{{spec}}})"
            con.execute(f"create temp table {_SRC0} as select * from {reader}")
            types = []
        if fmt != "parquet":
            described = con.execute(f"describe {_SRC0}").fetchall()
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
    plan = _Plan(
        f=f, contract=contract, columns=columns, mapping=mapping, extra=extra, native=native
    )
    by_index = {i: name for name, i in mapping.items()}
    exprs = []
    for i, name in enumerate(columns):
        if by_index.get(i) in native:
            exprs.append(f"{_ident(name)} as n{i}")
        elif fmt == "parquet":
            exprs.append(f"cast({_ident(name)} as varchar) as s{i}")
        else:
            exprs.append(f"{_ident(name)} as s{i}")
    if fmt == "parquet":
        source, rn = f"read_parquet({path}, file_row_number = true)", "file_row_number + 1"
    else:
        source, rn = _SRC0, "rowid + 1"
    con.execute(f"create temp view {_SRC} as select {rn} as _rn, {', '.join(exprs)} from {source}")
    try:
        plan.rows = con.execute(f"select count(*) from {_SRC}").fetchall()[0][0]
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


def _empty(f: Path) -> IngestError:
    return IngestError(
        f"Cannot ingest {f}: it has no data rows. Check that the export finished and send "
        "the file again.",
        path=f,
        hint="send a file with data rows",
    )


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


def _typed_expr(col: Column) -> str:
    """SQL turning the trimmed text `v:<name>` into the column's type (null if it cannot)."""
    v = _v(col.name)
    t = col.type
    if t == "VARCHAR":
        return v
    if t == "TIMESTAMP":
        # 'YYYY-MM-DD HH:MM[:SS[.fff]]', ' ' or 'T'; with Z or an offset it is converted to UTC
        # (the session time zone is UTC). The plain cast would ignore an offset, the
        # time-zone cast is 3x slower: use it only when there is something after the time.
        return (
            f"case when not ({v} like '____-__-__ __:__%' or {v} like '____-__-__T__:__%') "
            f"then null "
            f"when {v}[-1:] in ('Z', 'z') or contains(substr({v}, 17), '+') "
            f"or contains(substr({v}, 17), '-') "
            f"then cast(try_cast({v} as timestamptz) as timestamp) "
            f"else try_cast({v} as timestamp) end"
        )
    if t == "DATE":
        return f"case when {v} like '____-__-__' then try_cast({v} as date) end"
    if t == "BOOLEAN":
        return (
            f"case lower({v}) when 'true' then true when 'false' then false when '1' then true "
            f"when '0' then false when 'yes' then true when 'no' then false end"
        )
    if t == "BIGINT":
        # try_cast rounds '1.5' to 2: a value with a point or exponent must be whole.
        d = f"try_cast({v} as double)"
        return (
            f"case when not (contains({v}, '.') or contains(lower({v}), 'e')) "
            f"then try_cast({v} as bigint) "
            f"when {d} = trunc({d}) then try_cast({d} as bigint) end"
        )
    return f"try_cast({v} as {t})"


def _type_words(col: Column) -> str:
    t = col.type
    if t == "TIMESTAMP":
        return (
            "a timestamp; expected ISO 8601 such as '2026-03-02 14:05:00' (UTC), "
            "with ' ' or 'T', optionally ending in Z or an offset like +02:00"
        )
    if t == "DATE":
        return "a date; expected 'YYYY-MM-DD'"
    if t == "BOOLEAN":
        return "a boolean; expected true/false, 1/0 or yes/no"
    if t == "BIGINT":
        return "a whole number; expected digits such as 42"
    if t == "DOUBLE":
        return "a finite number; expected e.g. 0.25"
    precision, scale = (int(x) for x in t[t.index("(") + 1 : -1].split(","))
    return (
        f"a decimal number; expected a number with at most {precision - scale} digits "
        "before the point, e.g. 12.5"
    )


def _found(col: str) -> str:
    """SQL text: the found value of `col`, quoted, at most 200 characters."""
    return f"'''' || left({_v(col)}, 200) || ''''"


_FIX = " Correct it at the source and send the row again."


def _checks(contract: Contract, cutoff: datetime) -> list[tuple[str, str, str, str]]:
    """(column, rule, condition true when the rule fails, reason SQL) for every rule.

    Conditions read `v:<col>` (source value, null when blank) and `<col>` (typed value).
    """
    out: list[tuple[str, str, str, str]] = []

    def add(name: str, rule: str, cond: str, *reason: str) -> None:
        out.append((name, rule, cond, "concat(" + ", ".join(reason) + ")"))

    for col in contract.columns:
        c, v, name = _ident(col.name), _v(col.name), col.name
        said = f"'Column \"{name}\" has ', {_found(name)}"
        if col.required:
            add(
                name,
                "required",
                f"{v} is null",
                _lit(
                    f'Column "{name}" is empty but required; expected a {col.type} value. '
                    "Fill it in at the source and send the row again."
                ),
            )
        if col.type != "VARCHAR":
            bad = f"{c} is null" + (f" or not isfinite({c})" if col.type == "DOUBLE" else "")
            add(
                name,
                "type",
                f"{v} is not null and ({bad})",
                said,
                _lit(", which is not " + _type_words(col) + "." + _FIX),
            )
        if col.allowed_values is not None:
            values = ", ".join(_lit(a) for a in col.allowed_values)
            add(
                name,
                "allowed_values",
                f"{c} not in ({values})",
                said,
                _lit(
                    "; expected one of " + ", ".join(col.allowed_values) + " (case matters)." + _FIX
                ),
            )
        if col.pattern is not None:
            add(
                name,
                "allowed_values",
                f"not regexp_full_match({c}, {_lit(col.pattern)})",
                said,
                _lit("; expected " + (col.pattern_hint or col.pattern) + "." + _FIX),
            )
        if col.min is not None or col.max is not None:
            conds, words = [], []
            if col.min is not None:
                conds.append(f"{c} < {col.min!r}")
                words.append(f">= {col.min:g}")
            if col.max is not None:
                conds.append(f"{c} > {col.max!r}")
                words.append(f"<= {col.max:g}")
            add(
                name,
                "range",
                " or ".join(conds),
                said,
                _lit("; expected a value " + " and ".join(words) + "." + _FIX),
            )
        if col.not_future:
            if col.type == "TIMESTAMP":
                limit = f"timestamp '{cutoff:%Y-%m-%d %H:%M:%S}'"
            else:
                limit = f"date '{cutoff:%Y-%m-%d}'"
            add(
                name,
                "not_future",
                f"{c} > {limit}",
                said,
                "' ('",
                f"cast({c} as varchar)",
                _lit(
                    f" UTC), which is in the future; expected no later than "
                    f"{cutoff:%Y-%m-%d %H:%M} UTC (now plus the tolerance). Check the clock and "
                    "time zone of the source and send the row again."
                ),
            )
        if col.after is not None:
            add(
                name,
                "order",
                f"{c} < {_ident(col.after)}",
                f"'Column \"{name}\" (', {_found(name)}, ') is before \"{col.after}\" (', "
                f"{_found(col.after)}",
                _lit(
                    f"); expected {name} >= {col.after}. Correct one of them at the source and "
                    "send the row again."
                ),
            )
    if contract.one_of:
        present = " + ".join(f"cast({_v(n)} is not null as integer)" for n in contract.one_of)
        names = " and ".join(f'"{n}"' for n in contract.one_of)
        add(
            ", ".join(contract.one_of),
            "one_of",
            f"({present}) <> 1",
            _lit(f"Columns {names}: "),
            f"case when ({present}) = 0 then 'neither is set' else 'both are set' end",
            _lit("; expected exactly one of them. Keep one value and send the row again."),
        )
    return out


def _create_typed(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    """Materialise `_T`: row number, kept source text, typed values, rule verdict, row hash."""
    contract = plan.contract
    kept = ", ".join(f"s{i}" for i in plan.text_kept())
    v_defs, typed = [], []
    for col in contract.columns:
        i = plan.mapping.get(col.name)
        if i is None:
            v_defs.append(f"cast(null as varchar) as {_v(col.name)}")
        elif col.name in plan.native:
            v_defs.append(f"n{i} as {_v(col.name)}")
        else:
            v_defs.append(f"nullif(trim(s{i}), '') as {_v(col.name)}")
        if col.name in plan.native:
            typed.append(f"cast({_v(col.name)} as {col.type}) as {_ident(col.name)}")
        else:
            typed.append(f"{_typed_expr(col)} as {_ident(col.name)}")
    names = ", ".join(_ident(c.name) for c in contract.columns)
    bad = " or ".join(
        f"coalesce({cond}, false)" for _, _, cond, _ in _checks(contract, plan.cutoff)
    )
    # The row hash is over the typed values, so a re-sent row that differs only in formatting
    # ('1.0' vs '1', 'Z' vs no offset) is the same row. DuckDB's 64-bit hash() of the typed
    # values, as 16 hex digits: md5 over their text cost 3x the CPU of a plain Parquet load
    # at 10M rows (casting every value back to text, then storing a 32-character string).
    row_hash = f"lpad(to_hex(hash({names})), 16, '0')"
    sql = f"""
        create temp table {_T} as
        with v as (select * , {", ".join(v_defs)} from {_SRC}),
        t as (select *, {", ".join(typed)} from v)
        select _rn, {kept + ", " if kept else ""}{names}, ({bad}) as _bad,
               {row_hash} as _h
        from t
    """
    try:
        con.execute(sql)
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:
        first = str(exc).strip().splitlines()[0]
        raise IngestError(
            f"Cannot ingest {plan.f}: reading it failed part way ({first}). Check the file, or "
            "re-export it, and send it again.",
            path=plan.f,
            hint="re-export the file",
        ) from None


def _key_join(contract: Contract, a: str, b: str) -> str:
    return " and ".join(f"{a}.{_ident(k)} = {b}.{_ident(k)}" for k in contract.key)


def _classify(con: duckdb.DuckDBPyConnection, contract: Contract) -> tuple[int, int, int]:
    """Flag duplicate keys, duplicate rows, corrections; return (accepted, quarantined, corrected)."""
    keys = ", ".join(_ident(k) for k in contract.key)
    key_not_null = " and ".join(f"{_ident(k)} is not null" for k in contract.key)
    con.execute(f"""
        create temp table {_FLAGS} as
        with firsts as (
            select {keys}, min(_rn) as first_rn
            from {_T}
            where {key_not_null}
            group by {keys}
            having count(*) > 1
        )
        select t._rn, true as dup_key, f.first_rn, cast(null as varchar) as prev_load,
               false as dup_row, false as corrected
        from {_T} as t
        join firsts as f on {_key_join(contract, "t", "f")}
        where t._rn > f.first_rn
    """)
    table = f"raw.{contract.table}"
    [(has_rows,)] = con.execute(f"select count(*) from (select 1 from {table} limit 1)").fetchall()
    if has_rows:
        # Compare each valid row with the newest loaded version of its key.
        con.execute(f"""
            insert into {_FLAGS}
            with cand as (
                select t._rn, {", ".join(f"t.{_ident(k)}" for k in contract.key)}, t._h
                from {_T} as t
                anti join {_FLAGS} as x on x._rn = t._rn
                where not t._bad
            ),
            prev as (
                select {", ".join(f"r.{_ident(k)}" for k in contract.key)},
                       arg_max(r._row_hash, l.started_at) as prev_hash,
                       arg_max(r._load_id, l.started_at) as prev_load
                from {table} as r
                join raw.loads as l on l.load_id = r._load_id
                semi join cand as c on {_key_join(contract, "r", "c")}
                group by all
            )
            select c._rn, false, null, p.prev_load, c._h = p.prev_hash, c._h <> p.prev_hash
            from cand as c
            join prev as p on {_key_join(contract, "c", "p")}
        """)
    [(rows, quarantined)] = con.execute(f"""
        select count(*),
               count(*) filter (where t._bad or coalesce(f.dup_key or f.dup_row, false))
        from {_T} as t left join {_FLAGS} as f on f._rn = t._rn
    """).fetchall()
    [(corrected,)] = con.execute(f"select count(*) from {_FLAGS} where corrected").fetchall()
    return rows - quarantined, quarantined, corrected


def _insert_accepted(con: duckdb.DuckDBPyConnection, contract: Contract, load_id: str) -> None:
    names = ", ".join(_ident(c.name) for c in contract.columns)
    con.execute(f"""
        insert into raw.{contract.table} ({names}, _load_id, _row_number, _row_hash)
        select {names}, {_lit(load_id)}, t._rn, t._h
        from {_T} as t
        anti join (select _rn from {_FLAGS} where dup_key or dup_row) as f on f._rn = t._rn
        where not t._bad
    """)


def _insert_quarantine(con: duckdb.DuckDBPyConnection, plan: _Plan, base: _LoadBase) -> None:
    """One quarantine row per rejected source row, with every failure and every raw value."""
    contract = plan.contract
    items = [
        f"case when {cond} then {{'column': {_lit(col)}, 'rule': {_lit(rule)}, "
        f"'reason': {reason}}} end"
        for col, rule, cond, reason in _checks(contract, plan.cutoff)
    ]
    key_text = " || ', ' || ".join(
        f"'{k} = ''' || cast({_ident(k)} as varchar) || ''''" for k in contract.key
    )
    key_cols = _lit(", ".join(contract.key))
    items.append(
        f"case when dup_key then {{'column': {key_cols}, 'rule': 'duplicate_key', "
        f"'reason': 'Key ' || {key_text} || ' appears earlier in this file (row ' || first_rn || "
        f"'); the first occurrence was kept and this one set aside. Remove the duplicate, or "
        f"send the corrected row in a later file.'}} end"
    )
    items.append(
        f"case when dup_row then {{'column': {key_cols}, 'rule': 'duplicate_row', "
        f"'reason': 'This row is identical to the version of key ' || {key_text} || ' already "
        f"loaded by ' || prev_load || '; nothing new to load. No action needed.'}} end"
    )
    kept = set(plan.text_kept())
    v_defs = []
    for col in contract.columns:
        i = plan.mapping.get(col.name)
        if i is None:
            v_defs.append(f"cast(null as varchar) as {_v(col.name)}")
        elif i in kept:
            v_defs.append(f"nullif(trim(s{i}), '') as {_v(col.name)}")
        else:  # native Parquet value or VARCHAR: the typed value is the (trimmed) source value
            v_defs.append(f"cast({_ident(col.name)} as varchar) as {_v(col.name)}")
    by_index = {i: name for name, i in plan.mapping.items()}
    raw_values = (
        "json_object("
        + ", ".join(
            f"{_lit(name)}, " + (f"s{i}" if i in kept else _v(by_index[i]))
            for i, name in enumerate(plan.columns)
        )
        + ")"
    )
    con.execute(
        f"""
        insert into raw.quarantine
        with bad as (
            select t.*, coalesce(f.dup_key, false) as dup_key, f.first_rn,
                   coalesce(f.dup_row, false) as dup_row, f.prev_load
            from {_T} as t left join {_FLAGS} as f on f._rn = t._rn
            where t._bad or coalesce(f.dup_key or f.dup_row, false)
        ),
        v as (select *, {", ".join(v_defs)} from bad),
        failed as (
            select _rn, {raw_values} as raw_values,
                   list_filter([{", ".join(items)}], lambda x: x is not null) as failures
            from v
        )
        select ?, ?, ?, _rn,
               struct_extract(failures[1], 'column'),
               struct_extract(failures[1], 'rule'),
               struct_extract(failures[1], 'reason'),
               raw_values,
               to_json(failures)
        from failed
        order by _rn
        """,
        [base["load_id"], base["table_name"], base["source_file"]],
    )


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for name, kind in ((_SRC, "view"), (_T, "table"), (_FLAGS, "table"), (_SRC0, "table")):
        con.execute(f"drop {kind} if exists {name}")


__all__ = [
    "CONTRACTS",
    "FORMATS",
    "IngestError",
    "LoadResult",
    "ingest_path",
    "ingest_status",
    "quarantine_rows",
]
