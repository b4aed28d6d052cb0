"""What a definition reads (``raw.x``, ``staging.x``, ``metrics.x``, ``main.build_settings``),
found in its parsed SQL, and the check that each read exists.

>>> import sqlglot
>>> tree = sqlglot.parse_one("with t as (select 1) select * from raw.ai_events, t", read="duckdb")
>>> table_reads(tree, Path("x.sql"), lambda line: line or 1)
({'raw.ai_events': 1}, [])
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlglot import exp

from outcomes.core.definition import SCHEMAS, DefinitionProblem, SqlDefinition
from outcomes.core.macros import macro_reads

# main.calibration: CBPE calibration, fitted before its readers (outcomes.build.calibration)
MAIN_TABLES = frozenset({"build_settings", "calibration"})


def table_reads(
    tree: Any, path: Path, at: Callable[[int | None], int]
) -> tuple[dict[str, int], list[DefinitionProblem]]:
    """``{read: file line of its first mention}`` of a parsed definition, and the reads that are
    errors (three-part or unqualified names); a called macro's tables count."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    reads: dict[str, int] = {}
    errors: list[DefinitionProblem] = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # table functions: range(), generate_series(), unnest() ...
        name, db = table.name.lower(), table.db.lower()
        line = at(first_line(table))
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
    for ref, call in macro_reads(tree):  # tables a called macro reads count as read here
        reads.setdefault(ref, at(first_line(call)))
    return reads, errors


def check_reads(definition: SqlDefinition, known: dict[str, set[str]]) -> list[DefinitionProblem]:
    """A problem for each read of ``definition`` that does not exist (``known``: file names per
    schema)."""
    errors = []
    raw_tables = raw_table_names()
    for ref in sorted(definition.reads):
        db, name = ref.split(".", 1)
        line = ref_line(definition, db, name)
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


def first_line(node: Any) -> int | None:
    """The first source line of a sqlglot ``node`` (None when it has none)."""
    if node is None:
        return None
    lines = [
        n.meta["line"]
        for n in node.walk()
        if isinstance(n, exp.Expression) and "line" in (n.meta or {})
    ]
    return min(lines) if lines else None


def ref_line(definition: SqlDefinition, db: str, name: str) -> int:
    """The file line where ``definition`` first reads ``db.name`` (its body's first line if
    unknown)."""
    return dict(definition.read_lines).get(f"{db}.{name}", definition.body_line)


def raw_table_names() -> frozenset[str] | None:
    """The raw tables definitions may read (None when the contracts cannot be imported)."""
    try:
        from outcomes.core.contracts import CONTRACTS
    except ImportError:
        return None
    # loads and quarantine come from the raw store, output_verdicts from the state store
    return frozenset(CONTRACTS) | {"loads", "quarantine", "output_verdicts"}
