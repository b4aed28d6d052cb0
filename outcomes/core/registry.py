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
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from outcomes.core.blueprints import expand, is_family, member_names
from outcomes.core.definition import (
    SCHEMAS,
    BrokenDefinition,
    DefinitionProblem,
    SqlDefinition,
)
from outcomes.core.definition_checks import check_file
from outcomes.core.definition_reads import check_reads, ref_line
from outcomes.core.header_defaults import DEFAULTS_FILE, HeaderDefaults, load_header_defaults
from outcomes.core.headers import HeaderError, split_header
from outcomes.errors import OutcomesError

APP_FOLDER = "app"


class RegistryError(OutcomesError):
    """Every problem found in the SQL definitions (``.errors``), one per line in ``str()``."""

    def __init__(self, errors: list[DefinitionProblem]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


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


@dataclass(frozen=True)
class _Unit:
    """One definition to check: a file, or one metric of a family file (its text rendered)."""

    path: Path
    schema: str
    name: str
    data: bytes
    problem: DefinitionProblem | None = None  # the family file could not be expanded


def _units(path: Path, schema: str) -> list[_Unit]:
    """The definitions of one file: itself, or the metrics its blueprints make
    (:mod:`outcomes.core.blueprints`)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
        split_header(text)
    except (UnicodeDecodeError, HeaderError):
        return [_Unit(path, schema, path.stem, data)]  # check_file reports it, with its line
    if not is_family(text):
        return [_Unit(path, schema, path.stem, data)]
    if schema != "metrics":
        problem = DefinitionProblem(
            path, None, "blueprints are for metric files only; fix: one file per definition"
        )
        return [_Unit(path, schema, path.stem, data, problem)]
    try:
        members = expand(text)
    except HeaderError as exc:
        problem = DefinitionProblem(path, exc.line, exc.message)
        # every metric the family makes is reported failed (by name, when its name line tells)
        return [_Unit(path, schema, n, data, problem) for n in member_names(text) or [path.stem]]
    return [_Unit(path, schema, m.name, m.text.encode("utf-8")) for m in members]


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
    # sql/app/ holds the queries pages run (outcomes.app.queries), not definitions
    files = sorted(p for p in root.rglob("*.sql") if p.relative_to(root).parts[0] != APP_FOLDER)
    units: list[_Unit] = []
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
        units.extend(_units(path, schema))
    known: dict[str, set[str]] = {s: set() for s in SCHEMAS}
    named: list[_Unit] = []
    for unit in units:
        if unit.name in known[unit.schema]:
            errors.append(
                DefinitionProblem(
                    unit.path,
                    None,
                    f"a second {unit.schema} definition named {unit.name!r}; fix: rename one file",
                )
            )
            continue
        known[unit.schema].add(unit.name)
        named.append(unit)

    defaults: dict[str, HeaderDefaults] = {}
    for schema in SCHEMAS:
        try:
            defaults[schema] = load_header_defaults(root / schema)
        except HeaderError as exc:
            errors.append(DefinitionProblem(root / schema / DEFAULTS_FILE, exc.line, exc.message))
            defaults[schema] = HeaderDefaults()

    with _duckdb_parser() as con:
        for unit in named:
            path, schema, data = unit.path, unit.schema, unit.data
            qualified = f"{schema}.{unit.name}"
            if unit.problem is not None:
                file_errors, definition, reads = [unit.problem], None, frozenset[str]()
            else:
                file_errors, definition, reads = check_file(
                    path, schema, data, con, defaults[schema], name=unit.name
                )
            if definition is not None:
                file_errors += check_reads(definition, known)
            if file_errors:
                errors.extend(file_errors)
                broken[qualified] = BrokenDefinition(
                    path,
                    schema,
                    unit.name,
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
                    line = ref_line(d, *nxt.split(".", 1))
                    cycle_errors[q] = DefinitionProblem(
                        d.path,
                        line,
                        f"dependency cycle {text}; fix: break the cycle, a definition cannot read itself through others",
                    )
                graph[q] = set()
            # Dependents of the cycle still read broken objects; keep the edges (they get skipped).


@contextmanager
def _duckdb_parser() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    try:
        yield con
    finally:
        con.close()
