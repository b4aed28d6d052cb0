"""Every SQL definition under ``sql/`` (staging, metrics, roi), checked, in build order.

``load_registry(sql_dir)`` reads ``sql/<schema>/**/*.sql``, parses each header
(:mod:`outcomes.core.headers`) and its SQL with sqlglot (DuckDB dialect), checks it (exactly one
SELECT, no DDL/DML, required output columns, known dependencies, no cycles) and returns a
:class:`Registry`; any problem raises :class:`RegistryError` listing every
``file:line: message``.

>>> import pathlib, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "staging").mkdir()
>>> _ = (root / "staging" / "events.sql").write_text(
...     "/* ---\\nname: events\\ndescription: d\\ngrain: One row per event.\\nkind: staging\\n--- */\\n"
...     "select * from raw.ai_events\\n")
>>> registry = load_registry(root)
>>> registry.order_names(), sorted(registry.get("events").reads)
(['staging.events'], ['raw.ai_events'])
"""

from __future__ import annotations

import graphlib
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from outcomes.core.headers import (
    STANDARD_COLUMNS,
    HeaderError,
    MetricHeader,
    RoiHeader,
    StagingHeader,
    Unit,
    parse_header,
)
from outcomes.errors import OutcomesError

SCHEMAS = ("staging", "metrics", "roi")
APP_FOLDER = "app"
OBJECT_KIND = {"staging": "staging", "metrics": "metric", "roi": "roi"}
MAIN_TABLES = frozenset({"build_settings"})

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


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem in one file; ``str()`` is ``path:line: message``."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = _display(self.path)
        return f"{where}:{self.line}: {self.message}" if self.line else f"{where}: {self.message}"


class RegistryError(OutcomesError):
    """Every problem found in the SQL definitions (``.errors``), one per line in ``str()``."""

    def __init__(self, errors: list[DefinitionProblem]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class SqlDefinition:
    """One checked definition file."""

    path: Path
    schema: str  # staging | metrics | roi
    name: str
    header: StagingHeader | MetricHeader | RoiHeader
    sql: str  # the whole file
    body_sql: str  # the SELECT statement alone (header and trailing ';' removed)
    sha256: str  # of the whole file's bytes
    reads: frozenset[str]  # 'raw.ai_events', 'staging.x', 'metrics.y', 'main.build_settings'
    columns: tuple[str, ...] | None  # output columns, lowercase; None when it selects '*'
    header_line: int  # file line of '/* ---'
    body_line: int  # file line on which body_sql starts
    read_lines: tuple[tuple[str, int], ...] = ()  # (read, file line of its first mention)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def kind(self) -> str:
        """``staging``, ``metric`` or ``roi`` (the manifest's ``kind``)."""
        return OBJECT_KIND[self.schema]

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Output columns that are neither standard metric columns nor dimensions."""
        dims = set(getattr(self.header, "dimensions", ()))
        return tuple(
            c for c in self.columns or () if c not in STANDARD_COLUMNS and c not in dims and c
        )


@dataclass(frozen=True)
class BrokenDefinition:
    """A file that failed its checks (kept so that a build can record it and skip dependents)."""

    path: Path
    schema: str
    name: str
    sha256: str
    errors: tuple[DefinitionProblem, ...]
    reads: frozenset[str] = frozenset()

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def kind(self) -> str:
        return OBJECT_KIND[self.schema]

    @property
    def message(self) -> str:
        return "; ".join(
            f"line {e.line}: {e.message}" if e.line else e.message for e in self.errors
        )


@dataclass
class Registry:
    """Checked definitions keyed by qualified name (``metrics.accuracy``), in build order."""

    sql_dir: Path
    definitions: dict[str, SqlDefinition]
    order: tuple[str, ...]  # build order of every object, broken ones included
    broken: dict[str, BrokenDefinition] = field(default_factory=dict)
    errors: tuple[DefinitionProblem, ...] = ()

    def topological(self) -> list[SqlDefinition]:
        """Valid definitions, each after everything it reads."""
        return [self.definitions[q] for q in self.order if q in self.definitions]

    def order_names(self) -> list[str]:
        return [q for q in self.order if q in self.definitions]

    def by_schema(self) -> dict[str, list[SqlDefinition]]:
        return {s: [d for d in self.topological() if d.schema == s] for s in SCHEMAS}

    def resolve(self, name: str) -> str:
        """Qualified name of ``name`` (``x``, ``metrics.x``); KeyError if unknown or ambiguous."""
        known = {**self.definitions, **self.broken}
        if name in known:
            return name
        matches = [q for q in known if q.split(".", 1)[1] == name]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise KeyError(f"no SQL definition named {name!r}")
        raise KeyError(
            f"{name!r} is ambiguous: {', '.join(sorted(matches))}; use the schema prefix"
        )

    def get(self, name: str) -> SqlDefinition:
        return self.definitions[self.resolve(name)]

    def depends_on(self, name: str) -> tuple[str, ...]:
        """Objects ``name`` reads directly (qualified; raw tables and main.* excluded)."""
        q = self.resolve(name)
        item = self.definitions.get(q) or self.broken[q]
        return tuple(sorted(r for r in item.reads if r.split(".", 1)[0] in SCHEMAS))

    def upstream(self, name: str) -> tuple[str, ...]:
        """Every object ``name`` reads, directly or not (qualified, sorted)."""
        seen: set[str] = set()
        stack = list(self.depends_on(name))
        while stack:
            q = stack.pop()
            if q in seen or (q not in self.definitions and q not in self.broken):
                continue
            seen.add(q)
            stack.extend(self.depends_on(q))
        return tuple(sorted(seen))

    def dependents(self, name: str) -> tuple[str, ...]:
        """Every object that reads ``name``, directly or not (reverse lineage, qualified)."""
        target = self.resolve(name)
        return tuple(q for q in self.order if q != target and target in self.upstream(q))

    def raw_tables(self, name: str) -> tuple[str, ...]:
        """Raw tables (``raw.x``) that ``name`` reads, directly or through other objects."""
        names = (self.resolve(name), *self.upstream(name))
        found: set[str] = set()
        for q in names:
            item = self.definitions.get(q) or self.broken.get(q)
            if item is not None:
                found.update(r for r in item.reads if r.startswith("raw."))
        return tuple(sorted(found))


VIEW_TAG = "view"


def is_view(d: SqlDefinition | BrokenDefinition) -> bool:
    """A staging definition tagged ``view``: kept as a view over its SQL, not materialised."""
    header = getattr(d, "header", None)
    return d.kind == "staging" and VIEW_TAG in (getattr(header, "tags", None) or ())


def load_registry(sql_dir: str | os.PathLike[str], *, strict: bool = True) -> Registry:
    """Load and check every definition under ``sql_dir``.

    ``strict`` (the default) raises :class:`RegistryError` on any problem; ``strict=False``
    returns the registry with the valid definitions, the broken ones in ``.broken`` and the
    problems in ``.errors`` (the build records broken files as failed and goes on).
    """
    root = Path(sql_dir)
    if not root.is_dir():
        raise RegistryError(
            [
                DefinitionProblem(
                    root,
                    None,
                    "SQL folder not found; fix: set sql_dir or create sql/staging and sql/metrics",
                )
            ]
        )
    errors: list[DefinitionProblem] = []
    parsed: dict[str, SqlDefinition] = {}
    broken: dict[str, BrokenDefinition] = {}
    known: dict[str, set[str]] = {s: set() for s in SCHEMAS}
    # sql/app/ holds the queries pages run (outcomes.app.queries), not definitions
    files = sorted(p for p in root.rglob("*.sql") if p.relative_to(root).parts[0] != APP_FOLDER)
    for path in files:
        schema = path.relative_to(root).parts[0]
        if schema not in SCHEMAS:
            errors.append(
                DefinitionProblem(
                    path,
                    None,
                    f"unknown folder {schema!r}; fix: put SQL files under {', '.join(SCHEMAS)}",
                )
            )
            continue
        if path.stem in known[schema]:
            errors.append(
                DefinitionProblem(
                    path,
                    None,
                    f"a second {schema} definition named {path.stem!r}; fix: rename one file",
                )
            )
            continue
        known[schema].add(path.stem)

    with _duckdb_parser() as con:
        for path in files:
            schema = path.relative_to(root).parts[0]
            if schema not in SCHEMAS:
                continue
            qualified = f"{schema}.{path.stem}"
            if qualified in parsed or qualified in broken:
                continue
            data = path.read_bytes()
            file_errors, definition, reads = _check_file(path, schema, data, con)
            if definition is not None:
                file_errors += _check_reads(definition, known)
            if file_errors:
                errors.extend(file_errors)
                broken[qualified] = BrokenDefinition(
                    path,
                    schema,
                    path.stem,
                    hashlib.sha256(data).hexdigest(),
                    tuple(file_errors),
                    reads,
                )
            else:
                assert definition is not None
                parsed[qualified] = definition

    order, cycle_errors = _build_order(parsed, broken)
    for q, err in cycle_errors.items():
        d = parsed.pop(q)
        broken[q] = BrokenDefinition(d.path, d.schema, d.name, d.sha256, (err,), d.reads)
        errors.append(err)
    registry = Registry(
        root, {q: parsed[q] for q in order if q in parsed}, tuple(order), broken, tuple(errors)
    )
    if strict and errors:
        raise RegistryError(errors)
    return registry


def _check_file(
    path: Path, schema: str, data: bytes, con: duckdb.DuckDBPyConnection
) -> tuple[list[DefinitionProblem], SqlDefinition | None, frozenset[str]]:
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
    if path.stem != path.stem.lower() or not path.stem.isidentifier():
        errors.append(
            DefinitionProblem(
                path,
                None,
                f"file name {path.name!r} is not a lowercase identifier; fix: rename it (a-z, 0-9, _)",
            )
        )
    try:
        parsed = parse_header(text, schema)
    except HeaderError as exc:
        return (
            errors + [DefinitionProblem(path, line, msg) for line, msg in exc.problems],
            None,
            frozenset(),
        )
    header = parsed.header
    if header.name != path.stem:
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
        return (
            errors
            + [
                DefinitionProblem(
                    path, at(first.get("line")), message + "; fix: check the SQL in a DuckDB shell"
                )
            ],
            None,
            frozenset(),
        )
    if len(statements) != 1:
        line = at(_first_line(statements[1])) if len(statements) > 1 else parsed.body_line
        return (
            errors
            + [
                DefinitionProblem(
                    path,
                    line,
                    f"expected exactly one SELECT statement, found {len(statements)}; fix: keep one statement (CTEs with WITH are fine)",
                )
            ],
            None,
            frozenset(),
        )
    tree = statements[0]
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_STATEMENTS):
            kind = node.key.upper() if not isinstance(node, exp.Command) else str(node.this).upper()
            return (
                errors
                + [
                    DefinitionProblem(
                        path,
                        at(_first_line(node)),
                        f"{kind} is not allowed: a definition is one SELECT (no DDL or DML); fix: remove it, the build creates the {OBJECT_KIND[schema]}",
                    )
                ],
                None,
                frozenset(),
            )
    if not isinstance(tree, exp.Query):
        return (
            errors
            + [
                DefinitionProblem(
                    path,
                    parsed.body_line,
                    f"expected a SELECT statement, found {tree.key.upper()}; fix: write one SELECT (WITH ... SELECT is fine)",
                )
            ],
            None,
            frozenset(),
        )
    # DuckDB's own parser has the last word on the statement count and type.
    try:
        duck = con.extract_statements(body)
    except duckdb.Error as exc:
        return (
            errors
            + [
                DefinitionProblem(
                    path, parsed.body_line, f"DuckDB cannot parse the SQL: {_first_sentence(exc)}"
                )
            ],
            None,
            frozenset(),
        )
    if len(duck) != 1 or duck[0].type != duckdb.StatementType.SELECT:
        found = ", ".join(s.type.name for s in duck) or "nothing"
        return (
            errors
            + [
                DefinitionProblem(
                    path,
                    parsed.body_line,
                    f"expected exactly one SELECT statement, DuckDB found {found}",
                )
            ],
            None,
            frozenset(),
        )

    read_lines, read_errors = _reads(tree, path, at)
    reads = frozenset(read_lines)
    errors += read_errors
    columns = _output_columns(tree)
    select_line = at(_first_line(_outer_select(tree)))
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
            unknown = [c for c in test.columns if c not in columns]
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
        name=path.stem,
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


def _reads(
    tree: Any, path: Path, at: Callable[[int | None], int]
) -> tuple[dict[str, int], list[DefinitionProblem]]:
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    reads: dict[str, int] = {}
    errors: list[DefinitionProblem] = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # table functions: range(), generate_series(), unnest() ...
        name, db = table.name.lower(), table.db.lower()
        line = at(_first_line(table))
        if table.catalog:
            errors.append(
                DefinitionProblem(
                    path,
                    line,
                    f"{table.sql('duckdb')}: a three-part name reads another database; fix: read raw.x, staging.x or metrics.x",
                )
            )
        elif not db:
            if name in ctes:
                continue
            if name in MAIN_TABLES:
                reads.setdefault(f"main.{name}", line)
                continue
            errors.append(
                DefinitionProblem(
                    path,
                    line,
                    f"unqualified table {name!r}; fix: write its schema, e.g. staging.{name} or raw.{name}",
                )
            )
        else:
            reads.setdefault(f"{db}.{name}", line)
    return reads, errors


def _check_reads(definition: SqlDefinition, known: dict[str, set[str]]) -> list[DefinitionProblem]:
    errors = []
    raw_tables = _raw_tables()
    for ref in sorted(definition.reads):
        db, name = ref.split(".", 1)
        line = _ref_line(definition, db, name)
        if db == "raw":
            if raw_tables is not None and name not in raw_tables:
                errors.append(
                    DefinitionProblem(
                        definition.path,
                        line,
                        f"unknown raw table {ref!r}; fix: use one of {', '.join('raw.' + t for t in sorted(raw_tables))}",
                    )
                )
        elif db in SCHEMAS:
            if name not in known[db]:
                choices = (
                    ", ".join(f"{db}.{n}" for n in sorted(known[db])) or f"none exist in sql/{db}"
                )
                errors.append(
                    DefinitionProblem(
                        definition.path,
                        line,
                        f"unknown dependency {ref!r}: no file sql/{db}/{name}.sql; fix: use one of {choices}",
                    )
                )
        elif db == "main":
            if name not in MAIN_TABLES:
                errors.append(
                    DefinitionProblem(
                        definition.path,
                        line,
                        f"{ref!r} is not readable by definitions; fix: read main.build_settings through setting('key')",
                    )
                )
        else:
            errors.append(
                DefinitionProblem(
                    definition.path,
                    line,
                    f"unknown schema {db!r} in {ref!r}; fix: use raw, staging, metrics or roi",
                )
            )
    return errors


def _build_order(
    parsed: dict[str, SqlDefinition], broken: dict[str, BrokenDefinition]
) -> tuple[list[str], dict[str, DefinitionProblem]]:
    """Topological order of every object; cycle members become errors that name the cycle."""
    graph: dict[str, set[str]] = {}
    items: list[tuple[str, SqlDefinition | BrokenDefinition]] = [*parsed.items(), *broken.items()]
    for q, item in items:
        graph[q] = {
            r for r in item.reads if r.split(".", 1)[0] in SCHEMAS and (r in parsed or r in broken)
        }
    cycle_errors: dict[str, DefinitionProblem] = {}
    while True:
        try:
            # Sorted input keeps the order deterministic between runs.
            sorter = graphlib.TopologicalSorter({q: sorted(graph[q]) for q in sorted(graph)})
            return list(sorter.static_order()), cycle_errors
        except graphlib.CycleError as exc:
            # graphlib lists each node before the one that reads it; we say "a -> b": a reads b.
            cycle = list(reversed(exc.args[1]))  # [a, b, ..., a]
            members = cycle[:-1]
            start = min(range(len(members)), key=lambda i: members[i])
            path_ = members[start:] + members[:start]
            text = " -> ".join([*path_, path_[0]])
            for q in members:
                if q in parsed:
                    d = parsed[q]
                    nxt = path_[(path_.index(q) + 1) % len(path_)]
                    line = _ref_line(d, *nxt.split(".", 1))
                    cycle_errors[q] = DefinitionProblem(
                        d.path,
                        line,
                        f"dependency cycle {text}; fix: break the cycle, a definition cannot read itself through others",
                    )
                graph[q] = set()
            # Dependents of the cycle still read broken objects; keep the edges (they get skipped).


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


def _first_line(node: Any) -> int | None:
    if node is None:
        return None
    lines = [
        n.meta["line"]
        for n in node.walk()
        if isinstance(n, exp.Expression) and "line" in (n.meta or {})
    ]
    return min(lines) if lines else None


def _ref_line(definition: SqlDefinition, db: str, name: str) -> int:
    return dict(definition.read_lines).get(f"{db}.{name}", definition.body_line)


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


def _raw_tables() -> frozenset[str] | None:
    try:
        from outcomes.core.contracts import CONTRACTS
    except ImportError:
        return None
    # loads and quarantine come from the raw store, output_verdicts from the state store
    return frozenset(CONTRACTS) | {"loads", "quarantine", "output_verdicts"}


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@contextmanager
def _duckdb_parser() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    try:
        yield con
    finally:
        con.close()


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
