"""Run SQL typed into the app against the current snapshot, in a sandbox.

``run_sandboxed(sql, settings)`` returns a :class:`SandboxResult` or raises
:class:`SandboxRefusal` whose ``reason`` says in plain words what was refused and what to do,
and whose ``kind`` names the rule (``statements``, ``not_select``, ``files``, ``write``,
``configuration``, ``extension``, ``attach``, ``metadata``, ``time_limit``, ``memory_limit``,
``syntax``, ``query_error``, ``empty``, ``unavailable``).

How the sandbox holds (docs: /work/shared/NOTES.md, "Sandbox that held against every attack"):

1. the text must be exactly one SELECT (:mod:`outcomes.store.sandbox_statement`), checked
   by DuckDB's parser (``extract_statements``) and by sqlglot (no DDL / DML / SET / PRAGMA /
   COPY node anywhere),
   so multi-statement input, LOAD, CHECKPOINT and CREATE TEMP (which the locked connection
   would still allow) never reach it;
2. a fresh in-memory DuckDB with extension auto-install / auto-load off, ``memory_limit``,
   ``threads`` and no temporary directory (otherwise a memory bomb spills to ``./.tmp`` on
   disk instead of failing), the snapshot attached read-only as ``warehouse`` (through its
   per-build reader path, :func:`~outcomes.store.snapshot.attach_snapshot`) and made the
   default catalog; attaching rather than ``duckdb.connect(path)`` matters because DuckDB
   shares one instance per path in a process and refuses a second configuration;
3. the Python functions registered, then ``SET enable_external_access=false`` (no file,
   glob, COPY, ATTACH, INSTALL) and ``SET lock_configuration=true`` (no SET / PRAGMA / RESET);
4. the query runs in a child process (:mod:`outcomes.store.sandbox_worker`) with an OS
   address-space limit (``RLIMIT_AS``, ``process_memory_mb``): DuckDB's ``memory_limit`` does
   not bound one huge value built inside a query (a list, a string, a repeat), which could
   otherwise grow the app's own process until the OS killed it;
5. ``threading.Timer(query_seconds, con.interrupt)`` stops a runaway query inside the child;
   a Python function that does not return is stopped by killing the child a moment later. At
   most ``rows + 1`` rows come back (Arrow), so the result says when it was cut;
6. functions and views that show the server's settings and paths (``duckdb_databases()``,
   ``duckdb_settings()``, ``current_setting``, ``pragma_*`` ...) are refused up front;
7. the child exits after every query: nothing typed outlives it.

>>> from outcomes.config import SandboxSettings, Settings
>>> try:
...     run_sandboxed("select 1; drop table metrics.accuracy", Settings())
... except SandboxRefusal as exc:
...     print(exc.kind)
statements
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from outcomes.config import SandboxSettings, Settings
from outcomes.store.sandbox_statement import (
    FILES_REASON,
    STATEMENT_REASONS,
    SandboxRefusal,
    check_single_select,
    first_line,
)
from outcomes.store.snapshot import SnapshotMissing, attach_snapshot

# the folder that holds the outcomes package, so the child imports this same code
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent
_START_SECONDS = 60.0  # the child's imports and opening the snapshot, before the query
_KILL_GRACE_SECONDS = 1.0  # after the time limit, for the child's own clean interrupt


@dataclass(frozen=True)
class SandboxResult:
    """What a sandboxed SELECT returned (at most ``row_limit`` rows)."""

    frame: pd.DataFrame
    truncated: bool  # more rows existed than the limit
    row_limit: int
    seconds: float

    @property
    def note(self) -> str:
        """One line for the page, e.g. ``'52 rows in 0.21 s'``."""
        rows = f"{len(self.frame):,} row{'s' if len(self.frame) != 1 else ''}"
        if self.truncated:
            rows = f"first {rows} (the preview stops at {self.row_limit:,})"
        return f"{rows} in {self.seconds:.2f} s"


def open_sandbox(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A locked, read-only connection on the current snapshot (close it when done)."""
    path = Path(settings.warehouse_path)
    if not path.exists():
        raise SnapshotMissing(f"no snapshot at {path}: run `outcomes build` first")
    limits = settings.sandbox
    con = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "memory_limit": limits.memory,
            "threads": limits.threads,
            # no spilling: a memory bomb must fail at the limit, not fill the disk
            "temp_directory": "",
        },
    )
    try:
        attach_snapshot(con, settings)
        from outcomes.store.sqlfunctions import install

        install(con, settings, macros=False)  # before the lock: registering needs no file
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def run_sandboxed(sql: str, settings: Settings) -> SandboxResult:
    """Run one SELECT on the current snapshot within the sandbox limits, in a child process.

    Raises :class:`SandboxRefusal` for anything but one SELECT, for file access and server
    metadata, and when the time or memory limit stops the query;
    :class:`~outcomes.store.snapshot.SnapshotMissing` before the first build.
    """
    statement = check_single_select(sql)
    if not Path(settings.warehouse_path).exists():
        raise SnapshotMissing(
            f"no snapshot at {settings.warehouse_path}: run `outcomes build` first"
        )
    return run_in_child(statement, settings)


def run_in_child(statement: str, settings: Settings) -> SandboxResult:
    """Run an already checked ``statement`` in ``python -m outcomes.store.sandbox_worker``:
    an OS address-space limit (``RLIMIT_AS``) on that process, killed at the time limit.

    The child reports on stdout: ``ready`` once its connection is open (the time limit counts
    from there), then one JSON header line and, for rows, an Arrow IPC stream.
    """
    limits = settings.sandbox
    request = json.dumps({"sql": statement, "settings": settings.model_dump(mode="json")})
    with tempfile.TemporaryDirectory(prefix="outcomes-sandbox-") as home:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(_PACKAGE_PARENT), os.environ.get("PYTHONPATH")) if p
            ),
            "OUTCOMES_HOME": home,  # no .env / outcomes.toml of the server is read
            # Arrow's default allocator reserves 1 GiB of address space up front, BLAS and
            # glibc one pool per thread: without these the child needs ~1.7 GiB before any
            # query (measured), with them ~0.75 GiB
            "ARROW_DEFAULT_MEMORY_POOL": "system",
            "MALLOC_ARENA_MAX": "2",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "outcomes.store.sandbox_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=home,
            env=env,
        )
        try:
            _limit_memory(child.pid, limits.process_memory_mb)
            return _collect(child, request, limits)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()


def _limit_memory(pid: int, megabytes: int) -> None:
    # before the query is sent: nothing the user typed runs without the limit
    size = megabytes * 1024 * 1024
    resource.prlimit(pid, resource.RLIMIT_AS, (size, size))


def _collect(child: subprocess.Popen, request: str, limits: SandboxSettings) -> SandboxResult:
    output: list[bytes] = []
    ready = threading.Event()

    def read() -> None:
        assert child.stdout is not None
        output.append(child.stdout.readline())
        ready.set()
        output.append(child.stdout.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert child.stdin is not None
    try:
        child.stdin.write(request.encode("utf-8"))
        child.stdin.close()
    except BrokenPipeError:
        pass  # the child died on start: reported below
    if not ready.wait(_START_SECONDS):
        child.kill()
        reader.join()
    if output[0] != b"ready\n":
        reader.join()
        if output[0].startswith(b"{"):
            return _verdict(output, limits)  # it could not open the snapshot
        raise SandboxRefusal(
            f"The preview's sandbox process did not start (exit code {child.wait()}): ask "
            "whoever runs Outcomes to check sandbox.process_memory_mb and the server's log.",
            "unavailable",
        )
    try:
        # the child interrupts itself at the limit (a clean refusal); a Python function that
        # does not return is only stopped by the kill a moment later
        child.wait(limits.query_seconds + _KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        reader.join()
        raise SandboxRefusal(_time_limit_reason(limits), "time_limit") from None
    reader.join()
    return _verdict(output, limits)


def _verdict(output: list[bytes], limits: SandboxSettings) -> SandboxResult:
    body = b"".join(output[1:]) if output and output[0] == b"ready\n" else b"".join(output)
    header_line, _, stream = body.partition(b"\n")
    try:
        header = json.loads(header_line)
    except ValueError:
        header = None
    if not isinstance(header, dict):
        # killed by the OS limit (or any other death) before it could say anything
        raise SandboxRefusal(_memory_reason(limits), "memory_limit")
    if "missing" in header:
        raise SnapshotMissing(str(header["missing"]))
    if "refused" in header:
        raise SandboxRefusal(str(header["reason"]), str(header["refused"]))
    table = pa.ipc.open_stream(stream).read_all()
    frame = table.to_pandas() if table.num_columns else pd.DataFrame()
    return SandboxResult(frame, bool(header["truncated"]), limits.rows, float(header["seconds"]))


def _time_limit_reason(limits: SandboxSettings) -> str:
    return (
        f"The query was stopped after {limits.query_seconds:g} s, the preview's time limit. "
        "Narrow it (fewer weeks, a filter, fewer joins) or run it in a DuckDB shell on a "
        "copy of the snapshot."
    )


def _memory_reason(limits: SandboxSettings) -> str:
    return (
        f"The query needed more than {limits.memory} of memory (or {limits.process_memory_mb} "
        "MB for its whole process), the preview's limits, and was stopped. Aggregate earlier, "
        "select fewer columns, or avoid building huge lists or strings."
    )


def execute_locked(
    con: duckdb.DuckDBPyConnection, statement: str, limits: SandboxSettings
) -> tuple[pa.Table, bool, float]:
    """Run ``statement`` on the sandbox connection ``con`` (the child process's side):
    ``(at most rows rows, whether more existed, seconds)``; :class:`SandboxRefusal` when
    DuckDB refuses or the interrupt at ``query_seconds`` stops it."""
    timer = threading.Timer(limits.query_seconds, con.interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        reader = con.sql(statement).to_arrow_reader(1024)
        batches, count = [], 0
        for batch in reader:
            batches.append(batch)
            count += batch.num_rows
            if count > limits.rows:
                break
        table = pa.Table.from_batches(batches, schema=reader.schema)
    except duckdb.InterruptException:
        raise SandboxRefusal(_time_limit_reason(limits), "time_limit") from None
    except duckdb.OutOfMemoryException:
        raise SandboxRefusal(_memory_reason(limits), "memory_limit") from None
    except duckdb.PermissionException:
        raise SandboxRefusal(FILES_REASON.format(what=""), "files") from None
    except duckdb.Error as exc:
        if "read-only" in str(exc):
            raise SandboxRefusal(
                "The preview is read-only: the query tried to change the snapshot.", "write"
            ) from None
        if "configuration has been locked" in str(exc):
            raise SandboxRefusal(*reversed(STATEMENT_REASONS["SET"])) from None
        raise SandboxRefusal(
            f"DuckDB could not run the query: {first_line(exc)}", "query_error"
        ) from None
    finally:
        timer.cancel()
    seconds = time.perf_counter() - started
    table = table.slice(0, limits.rows + 1)
    truncated = table.num_rows > limits.rows
    table = table.slice(0, limits.rows).rename_columns(_unique(table.column_names))
    return table, truncated, seconds


def _unique(names: list[str]) -> list[str]:
    """Column names made unique (``x``, ``x_2``), as a table display needs.

    >>> _unique(["a", "a", "b"])
    ['a', 'a_2', 'b']
    """
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out
