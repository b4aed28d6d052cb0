"""Is this text exactly one SELECT the sandbox may run? The checks made before any query runs.

:func:`check_single_select` returns the statement or raises :class:`SandboxRefusal`, whose
``reason`` says in plain words what was refused and what to do and whose ``kind`` names the
rule. The text must be exactly one SELECT, checked twice: by DuckDB's own parser
(``extract_statements``) and by sqlglot (no DDL / DML / SET / PRAGMA / COPY node anywhere, no
function that reads files, runs SQL from a string, or shows the server's settings and paths).

>>> try:
...     check_single_select("select path from duckdb_databases()")
... except SandboxRefusal as exc:
...     print(exc.kind)
metadata
"""

from __future__ import annotations

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from outcomes.core.definition_checks import (
    FORBIDDEN_STATEMENTS,  # the same statement rules as `outcomes validate`
)
from outcomes.core.macros import macro_overrides
from outcomes.core.sql_policy import forbidden_calls
from outcomes.errors import OutcomesError

FILES_REASON = (
    "Reading or writing files is disabled in the preview{what}: a metric reads only the "
    "snapshot's tables (raw.x, staging.x, metrics.x). Load a file with `outcomes ingest` instead."
)

# Plain words per DuckDB statement type (anything but SELECT is refused).
STATEMENT_REASONS: dict[str, tuple[str, str]] = {
    "COPY": ("files", FILES_REASON.format(what=" (COPY)")),
    "EXPORT": ("files", FILES_REASON.format(what=" (EXPORT DATABASE)")),
    "COPY_DATABASE": ("files", FILES_REASON.format(what=" (COPY FROM DATABASE)")),
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
            f"DuckDB cannot parse the query: {first_line(exc)}", "syntax"
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
            raise SandboxRefusal(*reversed(STATEMENT_REASONS["VACUUM"]))
        rule, reason = STATEMENT_REASONS.get(
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
    for name, _ in macro_overrides(tree):
        raise SandboxRefusal(
            f"{name}() is called with a named argument (:=): the tables an Outcomes macro "
            "reads cannot be overridden. Call it with its positional arguments only.",
            "not_select",
        )
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_STATEMENTS):
            word = str(node.this).upper() if isinstance(node, exp.Command) else node.key.upper()
            raise SandboxRefusal(
                f"{word} is not allowed inside the preview's SELECT: it is read-only and "
                "runs one SELECT.",
                "not_select",
            )
    for _node, name, kind in forbidden_calls(tree):
        if kind == "files":
            raise SandboxRefusal(FILES_REASON.format(what=f" ({name})"), "files")
        if kind == "dynamic":
            raise SandboxRefusal(
                f"{name}() runs SQL from a string, which the preview cannot "
                "check beforehand; write the SELECT itself.",
                "not_select",
            )
        raise SandboxRefusal(_METADATA.format(name=name), "metadata")
    if not isinstance(tree, exp.Query):
        raise SandboxRefusal(
            f"Expected a SELECT, found {tree.key.upper()}: the preview runs one SELECT.",
            "not_select",
        )


_METADATA = (
    "{name} shows the server's settings or files, which the preview does not reveal; a "
    "metric reads only the snapshot's tables."
)


def first_line(exc: Exception) -> str:
    """The first paragraph of a DuckDB error, on one line."""
    return " ".join(str(exc).split("\n\n")[0].split())
