"""The checks of one definition file: header, a single SELECT (sqlglot and DuckDB agree), no
DDL or DML, the required output columns, tests that name real columns.

:func:`check_file` returns the problems found (with file lines) and, when there are none, the
:class:`~outcomes.core.definition.SqlDefinition`.

>>> import duckdb
>>> text = "/* ---\\nname: x\\ndescription: d\\ngrain: g\\nkind: staging\\n--- */\\ndrop table t\\n"
>>> errors, definition, _ = check_file(Path("x.sql"), "staging", text.encode(), duckdb.connect())
>>> errors[0].line, errors[0].message.split(":")[0]
(7, 'DROP is not allowed')
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from outcomes.core.definition import OBJECT_KIND, DefinitionProblem, SqlDefinition
from outcomes.core.definition_reads import first_line, table_reads
from outcomes.core.header_defaults import HeaderDefaults
from outcomes.core.headers import HeaderError, MetricHeader, Unit, parse_header
from outcomes.core.macros import macro_overrides
from outcomes.core.sql_policy import forbidden_calls

# Statement types that must not appear anywhere inside a definition.
FORBIDDEN_STATEMENTS = (
    exp.DDL,
    exp.DML,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Copy,
    exp.Attach,
    exp.Detach,
    exp.Pragma,
    exp.Set,
    exp.Use,
    exp.Command,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Install,
    exp.Describe,
    exp.Show,
    exp.Summarize,
    exp.Cache,
    exp.Uncache,
    exp.Refresh,
    exp.Kill,
    exp.Analyze,
)


def check_file(
    path: Path,
    schema: str,
    data: bytes,
    con: duckdb.DuckDBPyConnection,
    defaults: HeaderDefaults | None = None,
    name: str | None = None,
) -> tuple[list[DefinitionProblem], SqlDefinition | None, frozenset[str]]:
    """``(problems, definition or None, reads)`` of one file of ``schema``; ``con`` parses with
    DuckDB; ``defaults`` fill the header fields the file leaves out. ``name``: the definition's
    name when it is not the file's (a metric of a family file, :mod:`outcomes.core.blueprints`;
    ``data`` is then that metric's text)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            [
                DefinitionProblem(
                    path,
                    None,
                    f"not UTF-8 text ({exc.reason} at byte {exc.start}); fix: save the file as UTF-8",
                )
            ],
            None,
            frozenset(),
        )
    errors: list[DefinitionProblem] = []

    def failed(
        line: int | None, message: str
    ) -> tuple[list[DefinitionProblem], None, frozenset[str]]:
        # a problem after which the rest of the file cannot be checked
        return [*errors, DefinitionProblem(path, line, message)], None, frozenset()

    if path.stem != path.stem.lower() or not path.stem.isidentifier():
        errors.append(
            DefinitionProblem(
                path,
                None,
                f"file name {path.name!r} is not a lowercase identifier; fix: rename it (a-z, 0-9, _)",
            )
        )
    try:
        parsed = parse_header(text, schema, defaults)
    except HeaderError as exc:
        return (
            errors + [DefinitionProblem(path, line, msg) for line, msg in exc.problems],
            None,
            frozenset(),
        )
    header = parsed.header
    if header.name != (name or path.stem):
        line = _key_line(text, "name", parsed.header_line)
        errors.append(
            DefinitionProblem(
                path,
                line,
                f"header name {header.name!r} differs from the file name {path.stem!r}; fix: name: {path.stem}",
            )
        )

    body = parsed.body

    def at(line: int | None) -> int:
        return parsed.body_line + (line or 1) - 1

    try:
        with _quiet_sqlglot():
            statements = [s for s in sqlglot.parse(body, read="duckdb") if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        near = first.get("highlight") or ""
        message = f"SQL does not parse: {first.get('description', exc)}" + (
            f" near {near!r}" if near else ""
        )
        return failed(at(first.get("line")), message + "; fix: check the SQL in a DuckDB shell")
    if len(statements) != 1:
        line = at(first_line(statements[1])) if len(statements) > 1 else parsed.body_line
        return failed(
            line,
            f"expected exactly one SELECT statement, found {len(statements)}; fix: keep one statement (CTEs with WITH are fine)",
        )
    tree = statements[0]
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_STATEMENTS):
            kind = node.key.upper() if not isinstance(node, exp.Command) else str(node.this).upper()
            return failed(
                at(first_line(node)),
                f"{kind} is not allowed: a definition is one SELECT (no DDL or DML); fix: remove it, the build creates the {OBJECT_KIND[schema]}",
            )
    if not isinstance(tree, exp.Query):
        return failed(
            parsed.body_line,
            f"expected a SELECT statement, found {tree.key.upper()}; fix: write one SELECT (WITH ... SELECT is fine)",
        )
    # DuckDB's own parser has the last word on the statement count and type.
    try:
        duck = con.extract_statements(body)
    except duckdb.Error as exc:
        return failed(parsed.body_line, f"DuckDB cannot parse the SQL: {_first_sentence(exc)}")
    if len(duck) != 1 or duck[0].type != duckdb.StatementType.SELECT:
        found = ", ".join(s.type.name for s in duck) or "nothing"
        return failed(
            parsed.body_line, f"expected exactly one SELECT statement, DuckDB found {found}"
        )

    for name, call in macro_overrides(tree):
        errors.append(
            DefinitionProblem(
                path,
                at(first_line(call)),
                f"{name}() is called with a named argument (:=); the tables a macro reads are fixed (lineage and the incremental build depend on them); fix: pass its positional arguments only",
            )
        )
    for node, name, kind in forbidden_calls(tree):
        errors.append(
            DefinitionProblem(path, at(first_line(node)), _REFUSED[kind].format(name=name))
        )
    read_lines, read_errors = table_reads(tree, path, at)
    reads = frozenset(read_lines)
    errors += read_errors
    columns = _output_columns(tree)
    select_line = at(first_line(_outer_select(tree)))
    missing: list[str] = []  # reported once, not again by each test that names them
    if isinstance(header, MetricHeader):
        if columns is None:
            errors.append(
                DefinitionProblem(
                    path,
                    select_line,
                    "a metric must list its output columns, found '*'; fix: select week_start, the dimensions and value by name",
                )
            )
        else:
            required = ["week_start", *header.dimensions, "value"]
            if header.unit is Unit.ratio:
                required += ["numerator", "denominator"]
            missing = [c for c in required if c not in columns]
            if missing:
                why = (
                    " (unit ratio needs numerator and denominator)"
                    if {"numerator", "denominator"} & set(missing)
                    else ""
                )
                errors.append(
                    DefinitionProblem(
                        path,
                        select_line,
                        f"missing output column{'s' if len(missing) > 1 else ''} {', '.join(missing)}{why}; the SELECT returns {', '.join(c for c in columns if c) or 'no named columns'}; fix: add '... as {missing[0]}' to the final SELECT",
                    )
                )
            dupes = sorted({c for c in columns if c and columns.count(c) > 1})
            if dupes:
                errors.append(
                    DefinitionProblem(
                        path,
                        select_line,
                        f"output column{'s' if len(dupes) > 1 else ''} {', '.join(dupes)} appear{'' if len(dupes) > 1 else 's'} twice; fix: alias them apart",
                    )
                )
    if columns is not None:
        for test in header.tests:
            unknown = [c for c in test.columns if c not in columns and c not in missing]
            if unknown:
                errors.append(
                    DefinitionProblem(
                        path,
                        _key_line(text, "tests", parsed.header_line),
                        f"test {test.text} names column {unknown[0]!r} that the SELECT does not return; fix: use one of {', '.join(c for c in columns if c)}",
                    )
                )
    if errors:
        return errors, None, reads
    statement = _statement_text(duck[0].query)
    start = body.find(statement)
    definition = SqlDefinition(
        path=path,
        schema=schema,
        name=name or path.stem,
        header=header,
        sql=text,
        body_sql=statement,
        sha256=hashlib.sha256(data).hexdigest(),
        reads=reads,
        columns=columns,
        header_line=parsed.header_line,
        body_line=parsed.body_line + (body[:start].count("\n") if start > 0 else 0),
        read_lines=tuple(sorted(read_lines.items())),
    )
    return [], definition, reads


# Why each class of call is refused in a definition (outcomes.core.sql_policy lists them).
_REFUSED = {
    "files": "{name} reads a file or URL; a definition reads only the snapshot's tables (raw.x, staging.x, metrics.x); fix: load the file with `outcomes ingest`",
    "dynamic": "{name}() runs SQL from a string, which cannot be checked before it runs; fix: write the SELECT itself, or call an Outcomes macro",
    "metadata": "{name} reads the server's settings, files or paths; fix: read build settings through setting('key')",
}


def _output_columns(tree: Any) -> tuple[str, ...] | None:
    select = _outer_select(tree)
    names = []
    for projection in select.expressions:
        if isinstance(projection, exp.Star | exp.Columns) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            return None
        names.append(projection.alias_or_name.lower())
    return tuple(names)


def _outer_select(tree: Any) -> Any:
    node = tree
    while True:
        if isinstance(node, exp.SetOperation):
            node = node.left
        elif isinstance(node, exp.Subquery):
            node = node.this
        else:
            return node


def _key_line(text: str, key: str, header_line: int) -> int:
    for number, line in enumerate(text.splitlines()[header_line - 1 :], start=header_line):
        if line.lstrip().startswith(f"{key}:"):
            return number
        if line.strip().startswith("---") and number > header_line:
            break
    return header_line


def _statement_text(query: str) -> str:
    text = query.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text


def _first_sentence(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    # sqlglot logs a warning when it falls back to a generic Command; we report it ourselves.
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
