"""Run SQL typed into the app against the current snapshot, in a sandbox.

``run_sandboxed(sql, settings)`` returns a :class:`SandboxResult` or raises
:class:`SandboxRefusal` whose ``reason`` says in plain words what was refused and what to do,
and whose ``kind`` names the rule (``statements``, ``not_select``, ``files``, ``write``,
``configuration``, ``extension``, ``attach``, ``time_limit``, ``memory_limit``, ``syntax``,
``query_error``, ``empty``).

How the sandbox holds (docs: /work/shared/NOTES.md, "Sandbox that held against every attack"):

1. the text must be exactly one SELECT, checked twice: by DuckDB's own parser
   (``extract_statements``) and by sqlglot (no DDL / DML / SET / PRAGMA / COPY node anywhere),
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
4. ``threading.Timer(query_seconds, con.interrupt)`` stops a runaway query; at most
   ``rows + 1`` rows are fetched, so the result says when it was cut;
5. the connection is closed after every query: nothing typed outlives it.

>>> from outcomes.config import Settings
>>> try:
...     run_sandboxed("select 1; drop table metrics.accuracy", Settings())
... except SandboxRefusal as exc:
...     print(exc.kind)
statements
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from outcomes.config import Settings
from outcomes.core.definition_checks import (
    FORBIDDEN_STATEMENTS,  # the same statement rules as `outcomes validate`
)
from outcomes.errors import OutcomesError
from outcomes.store.snapshot import SnapshotMissing, attach_snapshot

# Table functions that read files (all are also blocked by enable_external_access=false;
# refusing them up front gives a plainer message and never touches the file system).
FILE_FUNCTIONS = frozenset(
    {
        "read_csv",
        "read_csv_auto",
        "read_parquet",
        "parquet_scan",
        "parquet_metadata",
        "parquet_schema",
        "parquet_file_metadata",
        "parquet_kv_metadata",
        "read_json",
        "read_json_auto",
        "read_json_objects",
        "read_ndjson",
        "read_ndjson_auto",
        "read_ndjson_objects",
        "read_text",
        "read_blob",
        "glob",
        "sniff_csv",
        "read_xlsx",
        "iceberg_scan",
        "delta_scan",
    }
)

# Functions that run SQL given as a string: the text cannot be checked before it runs.
DYNAMIC_FUNCTIONS = frozenset({"query", "query_table"})

_FILES = (
    "Reading or writing files is disabled in the preview{what}: a metric reads only the "
    "snapshot's tables (raw.x, staging.x, metrics.x). Load a file with `outcomes ingest` instead."
)

# Plain words per DuckDB statement type (anything but SELECT is refused).
_STATEMENT_REASONS: dict[str, tuple[str, str]] = {
    "COPY": ("files", _FILES.format(what=" (COPY)")),
    "EXPORT": ("files", _FILES.format(what=" (EXPORT DATABASE)")),
    "COPY_DATABASE": ("files", _FILES.format(what=" (COPY FROM DATABASE)")),
    "ATTACH": (
        "attach",
        "ATTACH opens another database; the preview reads only the current snapshot.",
    ),
    "DETACH": ("attach", "DETACH is not allowed; the preview reads only the current snapshot."),
    "LOAD": (
        "extension",
        "Extensions cannot be installed or loaded in the preview (INSTALL / LOAD); the "
        "built-in functions are all there is.",
    ),
    "EXTENSION": ("extension", "Extensions cannot be installed or loaded in the preview."),
    "UPDATE_EXTENSIONS": ("extension", "Extensions cannot be updated from the preview."),
    "SET": (
        "configuration",
        "Settings are locked in the preview (SET / PRAGMA / RESET / USE): the limits on time, "
        "memory and rows cannot be changed from a query.",
    ),
    "VARIABLE_SET": ("configuration", "Settings and variables are locked in the preview (SET)."),
    "PRAGMA": (
        "configuration",
        "PRAGMA changes or inspects settings; settings are locked in the preview.",
    ),
    "CREATE": (
        "write",
        "The preview is read-only: CREATE (tables, temp tables, views, macros) would change "
        "a database. A metric is one SELECT; the build creates its table.",
    ),
    "CREATE_FUNC": ("write", "The preview is read-only: CREATE MACRO / FUNCTION is not allowed."),
    "INSERT": ("write", "The preview is read-only: INSERT would change a table."),
    "UPDATE": ("write", "The preview is read-only: UPDATE would change a table."),
    "DELETE": ("write", "The preview is read-only: DELETE would change a table."),
    "DROP": ("write", "The preview is read-only: DROP would remove an object."),
    "ALTER": ("write", "The preview is read-only: ALTER would change an object."),
    "VACUUM": ("write", "VACUUM / CHECKPOINT maintain a database; the preview only reads."),
    "TRANSACTION": ("write", "Transactions (BEGIN / COMMIT) are not needed for one SELECT."),
}


class SandboxRefusal(OutcomesError):
    """The sandbox refused or stopped a query; ``reason`` is for people, ``kind`` for code."""

    def __init__(self, reason: str, kind: str):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


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


def check_single_select(sql: str) -> str:
    """The statement, stripped of a trailing ``;``, if ``sql`` is exactly one SELECT;
    :class:`SandboxRefusal` otherwise.

    >>> check_single_select("select 1 as x;")
    'select 1 as x'
    >>> try:
    ...     check_single_select("create temp table t as select 1")
    ... except SandboxRefusal as exc:
    ...     print(exc.kind)
    write
    """
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    if not text:
        raise SandboxRefusal("There is no query to run: write one SELECT.", "empty")
    parser = duckdb.connect(":memory:")
    try:
        statements = parser.extract_statements(text)
    except duckdb.Error as exc:
        raise SandboxRefusal(
            f"DuckDB cannot parse the query: {_first_line(exc)}", "syntax"
        ) from None
    finally:
        parser.close()
    if len(statements) != 1:
        kinds = ", ".join(s.type.name for s in statements) or "nothing"
        raise SandboxRefusal(
            f"The preview runs exactly one SELECT; this text holds {len(statements)} statements "
            f"({kinds}). Remove all but the SELECT.",
            "statements",
        )
    kind = statements[0].type.name
    if kind != "SELECT":
        if text.lower().split(None, 1)[0] in ("checkpoint", "force"):
            raise SandboxRefusal(*reversed(_STATEMENT_REASONS["VACUUM"]))
        rule, reason = _STATEMENT_REASONS.get(
            kind, ("not_select", f"{kind} statements are not allowed: the preview runs one SELECT.")
        )
        raise SandboxRefusal(reason, rule)
    _check_with_sqlglot(text)
    return text


def _check_with_sqlglot(text: str) -> None:
    try:
        trees = [t for t in sqlglot.parse(text, read="duckdb") if t is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        raise SandboxRefusal(
            f"The query does not parse: {first.get('description', exc)} "
            f"(line {first.get('line', '?')}).",
            "syntax",
        ) from None
    if len(trees) != 1:
        raise SandboxRefusal(
            f"The preview runs exactly one SELECT; found {len(trees)} statements.", "statements"
        )
    tree = trees[0]
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_STATEMENTS):
            word = str(node.this).upper() if isinstance(node, exp.Command) else node.key.upper()
            raise SandboxRefusal(
                f"{word} is not allowed inside the preview's SELECT: it is read-only and "
                "runs one SELECT.",
                "not_select",
            )
        if isinstance(node, exp.Func) and _function_name(node) in FILE_FUNCTIONS:
            raise SandboxRefusal(_FILES.format(what=f" ({_function_name(node)})"), "files")
        if isinstance(node, exp.Func) and _function_name(node) in DYNAMIC_FUNCTIONS:
            raise SandboxRefusal(
                f"{_function_name(node)}() runs SQL from a string, which the preview cannot "
                "check beforehand; write the SELECT itself.",
                "not_select",
            )
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            name = node.this.name
            if node.this.quoted and ("/" in name or "." in name) and not node.db:
                raise SandboxRefusal(_FILES.format(what=f" (FROM '{name}')"), "files")
    if not isinstance(tree, exp.Query):
        raise SandboxRefusal(
            f"Expected a SELECT, found {tree.key.upper()}: the preview runs one SELECT.",
            "not_select",
        )


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()


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
    """Run one SELECT on the current snapshot within the sandbox limits.

    Raises :class:`SandboxRefusal` for anything but one SELECT, for file access, and when
    the time or memory limit stops the query; :class:`~outcomes.store.snapshot.SnapshotMissing`
    before the first build.
    """
    statement = check_single_select(sql)
    limits = settings.sandbox
    con = open_sandbox(settings)
    timer = threading.Timer(limits.query_seconds, con.interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        cursor = con.execute(statement)
        names = [d[0] for d in cursor.description or ()]
        rows = cursor.fetchmany(limits.rows + 1)
    except duckdb.InterruptException:
        raise SandboxRefusal(
            f"The query was stopped after {limits.query_seconds:g} s, the preview's time limit. "
            "Narrow it (fewer weeks, a filter, fewer joins) or run it in a DuckDB shell on a "
            "copy of the snapshot.",
            "time_limit",
        ) from None
    except duckdb.OutOfMemoryException:
        raise SandboxRefusal(
            f"The query needed more than {limits.memory} of memory, the preview's limit, and "
            "was stopped. Aggregate earlier, select fewer columns, or avoid building huge "
            "lists or strings.",
            "memory_limit",
        ) from None
    except duckdb.PermissionException:
        raise SandboxRefusal(_FILES.format(what=""), "files") from None
    except duckdb.Error as exc:
        if "read-only" in str(exc):
            raise SandboxRefusal(
                "The preview is read-only: the query tried to change the snapshot.", "write"
            ) from None
        if "configuration has been locked" in str(exc):
            raise SandboxRefusal(*reversed(_STATEMENT_REASONS["SET"])) from None
        raise SandboxRefusal(
            f"DuckDB could not run the query: {_first_line(exc)}", "query_error"
        ) from None
    finally:
        timer.cancel()
        con.close()
    seconds = time.perf_counter() - started
    truncated = len(rows) > limits.rows
    frame = pd.DataFrame.from_records(rows[: limits.rows], columns=_unique(names))
    return SandboxResult(frame, truncated, limits.rows, seconds)


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


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split("\n\n")[0].split())
