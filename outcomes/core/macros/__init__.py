"""The SQL macros metric files share, as text: what each is, the tables it reads.

:mod:`outcomes.store.sqlfunctions` creates them in every snapshot (so a metric file runs in any
DuckDB shell opened on one) and documents each; the registry adds a macro's reads
(:data:`MACRO_READS`) to those of every definition that calls it, so the build order, the
incremental build and the lineage see them.

DuckDB binds a macro's body when the macro is created, before the snapshot holds any staging
table: a macro names the tables it reads through a parameter with a default
(``calendar := 'staging.weeks'``) read with ``query_table``, and a table macro takes the rows
it works on as the name of a CTE of the calling file (``weekly_quantile('events', 0.95)``), so
the file's own reads stay in its SQL, where the registry and the incremental build see them.

>>> MACRO_READS["partial_flag"]
('staging.weeks',)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from outcomes.core.macros import assumptions, cbpe, costs, data_quality, drift, staging, weekly
from outcomes.core.macros.definition import Macro

# in creation order: a macro is created after those it calls
MACROS: tuple[Macro, ...] = (
    weekly.PARTIAL_FLAG,
    weekly.COVERAGE_FLAG,
    weekly.WEEKLY_QUANTILE,
    weekly.WEEKLY_MEAN,
    weekly.FEEDBACK_RATIO,
    drift.DRIFT_REFERENCE_WEEKS,
    drift.DRIFT_TESTS,
    drift.DRIFT_REFERENCE_COUNTS,
    drift.DRIFT_CURRENT_COUNTS,
    drift.DRIFT_BIN,
    drift.PSI,
    drift.JS_DISTANCE,
    drift.DRIFT_FLAG,
    drift.FEATURE_DRIFT,
    data_quality.DQ_ROWS_IN,
    costs.COST_LINES,
    staging.NEWEST_VERSIONS,
    assumptions.ASSUMPTION_AT,
    assumptions.ASSUMPTION_FOR,
    assumptions.ASSUMPTION_FOR_LOW,
    assumptions.ASSUMPTION_FOR_HIGH,
    cbpe.CBPE_SCORED,
)

# what a definition reads when it calls the macro (the registry adds these to its reads)
MACRO_READS: dict[str, tuple[str, ...]] = {m.name: m.reads for m in MACROS if m.reads}


def macro_reads(tree: Any) -> Iterator[tuple[str, Any]]:
    """(table, call) for each table read by a macro called in the parsed SQL ``tree``.

    >>> import sqlglot
    >>> tree = sqlglot.parse_one("select partial_flag(week_start) from t", read="duckdb")
    >>> [(table, call.sql()) for table, call in macro_reads(tree)]
    [('staging.weeks', 'PARTIAL_FLAG(week_start)')]
    """
    for call in tree.find_all(exp.Anonymous):
        for table in MACRO_READS.get(str(call.this).lower(), ()):
            yield table, call


def macro_overrides(tree: Any) -> Iterator[tuple[str, Any]]:
    """(macro name, call) for each call of one of our macros that passes a named argument.

    The table parameters (``calendar :=``, ``loads :=`` ...) exist because DuckDB binds a
    macro's tables when it is created; SQL people write must not override them: an override
    would read a table the registry does not see (lineage, incremental build) and, in the
    sandbox, name a table by a string the sandbox's checks never parse.

    >>> import sqlglot
    >>> tree = sqlglot.parse_one(
    ...     "select partial_flag(w, calendar := 'raw.loads') from t", read="duckdb")
    >>> [name for name, _ in macro_overrides(tree)]
    ['partial_flag']
    """
    names = {m.name for m in MACROS}
    for call in tree.find_all(exp.Anonymous):
        name = str(call.this).lower()
        if name in names and any(isinstance(a, exp.PropertyEQ) for a in call.expressions):
            yield name, call
