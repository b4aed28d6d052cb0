"""``outcomes validate --portable``: the lines of a definition that would not run on Spark as
they run on DuckDB, found before any build, so analysts learn it as they write the SQL.

A definition ports when the portability layer rewrites it without refusal and every function
left after the rewrites is one Spark knows under that name (sqlglot passes an unknown DuckDB
function through unchanged: it would fail on Spark, or worse, mean something else there).

>>> import sqlglot
>>> unknown_functions(sqlglot.parse_one("select list_reverse(x), percentile(x, 0.5) from t"))
['LIST_REVERSE']
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlglot import exp

from outcomes.core.definition import DefinitionProblem, SqlDefinition
from outcomes.core.portable.macro_expansion import MacroExpansionError
from outcomes.core.portable.spark_rewrites import NotPortable
from outcomes.core.portable.spark_sql import portable_tree
from outcomes.core.registry import Registry

# functions the rewrites emit by name, and the Python UDFs the Spark engine registers
SPARK_FUNCTIONS = frozenset(
    {
        "ARRAYS_OVERLAP", "CHI2_SF", "KS_PVALUE", "LEAD", "LAG", "PERCENTILE", "RAISE_ERROR",
        "TIMESTAMP_MICROS", "DAYOFWEEK", "UNIX_SECONDS", "UNIX_MICROS", "FROM_UTC_TIMESTAMP",
    }
)  # fmt: skip


def unknown_functions(tree: exp.Expression) -> list[str]:
    """Function calls in ``tree`` that sqlglot did not recognise and Spark does not know."""
    names = {str(node.this).upper() for node in tree.find_all(exp.Anonymous)}
    return sorted(names - SPARK_FUNCTIONS)


def _line_of(definition: SqlDefinition, pattern: str) -> int:
    """The file line of the first match of ``pattern`` in the body (else the body's first)."""
    for offset, line in enumerate(definition.body_sql.splitlines()):
        if re.search(pattern, line, flags=re.IGNORECASE):
            return definition.body_line + offset
    return definition.body_line


def portability_problems(
    definition: SqlDefinition, settings: Mapping[str, str]
) -> list[DefinitionProblem]:
    """What keeps ``definition`` from running on Spark, each with its file line."""
    try:
        tree = portable_tree(definition.body_sql, settings)
    except (NotPortable, MacroExpansionError) as exc:
        word = re.search(r"[a-z_]+\(", str(exc))
        line = _line_of(definition, re.escape(word.group(0))) if word else definition.body_line
        return [DefinitionProblem(definition.path, line, f"does not port to Spark: {exc}")]
    return [
        DefinitionProblem(
            definition.path,
            _line_of(definition, rf"\b{name}\s*\("),
            f"does not port to Spark: {name.lower()}() has no Spark form the portability "
            "layer knows (see docs/DECISIONS.md, Spark engine)",
        )
        for name in unknown_functions(tree)
    ]


def unportable_lines(registry: Registry, settings: Mapping[str, str]) -> list[str]:
    """``path:line: message`` for every problem of every valid definition of ``registry``."""
    return [str(p) for d in registry.topological() for p in portability_problems(d, settings)]
