"""Ingest source files (CSV, Parquet, JSON lines) into the raw store, validated in SQL.

Per file, in one transaction: read every column as text, number the rows, check every rule of
the table's contract in set-based SQL (no Python loop over rows), append accepted rows to
`raw.<table>` with the load id, write each rejected row once to `raw.quarantine` with all its
failures, and add a row to the load ledger `raw.loads`. Any error rolls the whole file back.
The steps live in `source_files` (reading), `contract_rules` (types and rules as SQL),
`typed_rows`, `duplicates`, `quarantine` and `load_ledger`; this module runs them per file.

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
>>> from outcomes.ingest.load_ledger import ingest_status
>>> list(ingest_status(s)["status"])
['loaded', 'skipped_duplicate_file']
"""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
import stat
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Literal

import duckdb

from outcomes.config import Settings
from outcomes.core.contracts import Contract, UnknownTableError, load_contract
from outcomes.ingest.duplicates import classify_rows
from outcomes.ingest.load_ledger import IngestError, LoadResult, LoadStart, utc_now, write_ledger
from outcomes.ingest.quarantine import insert_quarantine
from outcomes.ingest.scratch_tables import drop_scratch_tables
from outcomes.ingest.source_files import FORMATS, SourcePlan, open_source
from outcomes.ingest.typed_rows import create_typed_table, insert_accepted
from outcomes.store.raw import DEFAULT_LOCK_TIMEOUT, open_raw_store, unusable
from outcomes.store.segments import discard_load, file_sha256

Progress = Callable[[str], None]

# Failures of the raw store's file or disk (full, permission, damaged): the request stops with
# one message. Other errors are bugs and keep their traceback.
_STORE_FAILURES = (duckdb.IOException, duckdb.FatalException, duckdb.PermissionException, OSError)


def _list_files(path: Path) -> list[Path]:
    if path.is_dir():
        # not only regular files: a named pipe among them is refused by name, not skipped
        files = sorted(p for p in path.iterdir() if not p.is_dir() and p.suffix.lower() in FORMATS)
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
            try:
                result = _ingest_file(con, f, contract, settings, who, say)
            except _STORE_FAILURES as exc:  # the store, not the file: stop here
                raise unusable(Path(settings.raw_path), exc) from None
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
    started = utc_now()
    load_id = f"L{started:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    base = LoadStart(
        load_id=load_id,
        table_name=contract.table,
        source_file=str(f),
        file_format=FORMATS.get(f.suffix.lower()),
        started_at=started,
        loaded_by=loaded_by,
    )
    sha: str | None = None
    try:
        seen = _regular_file(f)
        base["file_size"] = seen[0]
        young = time.time() - seen[1] / 1e9
        if young < settings.ingest_settle_seconds:
            return _skipped(
                con,
                base,
                "skipped_unsettled",
                f"{f} was modified {max(young, 0):.1f} s ago (settle time "
                f"{settings.ingest_settle_seconds:g} s): it may still be written; skipped, "
                "the next ingest picks it up.",
            )
        try:
            sha = file_sha256(f)
        except OSError as exc:
            raise _unreadable(f, exc) from None
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
                finished_at=utc_now(),
                status="skipped_duplicate_file",
                message=(
                    f"{f} has the same content (sha256 {sha[:12]}…) as {earlier[0][1]}, already "
                    f"loaded as {earlier[0][0]}; nothing added. Nothing to do."
                ),
            )
            write_ledger(con, result)
            return result
        return _load_file(con, f, sha, contract, settings, base, say, seen)
    except FileChanged as exc:
        return _skipped(con, base, "skipped_changed", str(exc), sha)
    except IngestError as exc:
        result = LoadResult(
            **base, file_sha256=sha, finished_at=utc_now(), status="refused", message=str(exc)
        )
        write_ledger(con, result)
        return result


class FileChanged(IngestError):
    """The file changed while it was read: skipped, to be picked up by a later ingest."""


def _unreadable(f: Path, exc: OSError) -> IngestError:
    """The refusal of a file that cannot be stat-ed or read."""
    return IngestError(
        f"Cannot ingest {f}: the file cannot be read ({exc.strerror or exc}). "
        "Check that it exists and that you may read it.",
        path=f,
        hint="check the file permissions",
    )


def _signature(f: Path) -> tuple[int, int, int, int]:
    st = f.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev


def _regular_file(f: Path) -> tuple[int, int, int, int]:
    """Size, mtime (ns), inode, device of `f`; refuse anything but a regular file, unopened.

    A named pipe or device would block the read (and hold the raw store lock) forever.
    """
    try:
        st = f.stat()
    except OSError as exc:
        raise _unreadable(f, exc) from None
    if not stat.S_ISREG(st.st_mode):
        raise IngestError(
            f"Cannot ingest {f}: it is not a regular file (a named pipe, device or socket). "
            "Save the export as a file and ingest that.",
            path=f,
            hint="ingest a regular file",
        )
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev


def _skipped(
    con: duckdb.DuckDBPyConnection,
    base: LoadStart,
    status: Literal["skipped_unsettled", "skipped_changed"],
    message: str,
    sha: str | None = None,
) -> LoadResult:
    result = LoadResult(
        **base, file_sha256=sha, finished_at=utc_now(), status=status, message=message
    )
    write_ledger(con, result)
    return result


def _load_file(
    con: duckdb.DuckDBPyConnection,
    f: Path,
    sha: str,
    contract: Contract,
    settings: Settings,
    base: LoadStart,
    say: Progress,
    seen: tuple[int, int, int, int],
) -> LoadResult:
    t0 = time.perf_counter()
    try:
        # Reading creates only temp objects, outside the transaction: rowids of a temp table
        # created inside one are not 0-based, and they number the rows.
        fmt = base["file_format"]
        assert fmt is not None  # _ingest_file refuses a file of unknown format
        plan = open_source(con, f, fmt, contract)
        plan.cutoff = utc_now() + timedelta(hours=settings.future_tolerance_hours)
        if base["file_format"] == "parquet":  # read lazily, while checking
            say(f"{f.name}: {plan.rows:,} rows")
        else:
            _rate(say, f, "read", plan.rows, t0)
        con.begin()
        try:
            result = _load_rows(con, plan, sha, base, say, settings)
            if _signature(f) != seen or file_sha256(f) != sha:
                raise FileChanged(
                    f"{f} changed while it was read (it may still be written): skipped, nothing "
                    "of it was loaded; the next ingest picks it up.",
                    path=f,
                )
            con.commit()
        except BaseException as exc:
            # the failure may have ended the transaction already (disk full)
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            with contextlib.suppress(duckdb.Error, OSError):  # the error to report is exc
                discard_load(con, settings, base["load_id"])  # its files, if it wrote any
            if not isinstance(exc, IngestError):
                exc.add_note(f"while ingesting {f}: rolled back, nothing of this file was loaded")
            raise
    finally:
        drop_scratch_tables(con)
    return result


def _load_rows(
    con: duckdb.DuckDBPyConnection,
    plan: SourcePlan,
    sha: str,
    base: LoadStart,
    say: Progress,
    settings: Settings,
) -> LoadResult:
    """Check, insert accepted and quarantined rows and the ledger row (inside the transaction)."""
    f, contract, tally = plan.f, plan.contract, plan.tally
    rows_in = tally.records
    t1 = time.perf_counter()
    create_typed_table(con, plan)
    accepted, quarantined, corrected, already = classify_rows(con, contract)
    _rate(say, f, "validated", plan.rows, t1)
    t2 = time.perf_counter()
    insert_accepted(con, contract, base["load_id"], settings)
    insert_quarantine(con, plan, base)
    _rate(say, f, "inserted", plan.rows, t2)
    if already:
        tally.skipped["already loaded (same values)"] += already
    skipped = tally.rows_skipped
    if accepted + quarantined + skipped != rows_in:  # every record accounted for, or nothing
        raise IngestError(
            f"Cannot ingest {f}: {rows_in:,} records found but {accepted:,} accepted + "
            f"{quarantined:,} quarantined + {skipped:,} skipped; nothing was loaded. Report "
            "this file: it is a bug in the reader.",
            path=f,
            hint="report the file",
        )
    msg = f"{rows_in:,} rows: {accepted:,} accepted"
    if corrected:
        msg += f" ({corrected:,} corrections of earlier loads)"
    msg += f", {quarantined:,} quarantined"
    if quarantined:
        msg += f" (see raw.quarantine where load_id = '{base['load_id']}')"
    if skipped:
        msg += f", {skipped:,} skipped: {tally.describe_skipped()}"
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
        rows_skipped=skipped,
        skipped_reasons=tally.describe_skipped(),
        lines_in=tally.lines,
        extra_columns=tuple(plan.extra),
        finished_at=utc_now(),
        status="loaded",
        message=msg,
    )
    write_ledger(con, result)
    return result


def _rate(say: Progress, f: Path, what: str, rows: int, t0: float) -> None:
    dt = time.perf_counter() - t0
    rate = rows / dt if dt > 0 else float(rows)
    say(f"{f.name}: {what} {rows:,} rows in {dt:.1f} s ({rate:,.0f} rows/s)")
