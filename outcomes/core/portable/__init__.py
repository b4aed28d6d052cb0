"""The portability layer: the same SQL definitions on DuckDB and on Spark (issue 17).

Pure sqlglot, no I/O. A definition's DuckDB SQL goes through three steps:

1. :mod:`~outcomes.core.portable.macro_expansion`: the DuckDB macros it calls (``week_of``,
   ``setting``, ``weekly_quantile``...) inlined, since Spark has none;
2. :mod:`~outcomes.core.portable.spark_rewrites`: the constructs sqlglot transpiles wrongly or
   not at all (ISO weekdays, ordered lists, decimal scales, ASOF joins, JSON list operations)
   rewritten into forms both engines compute alike;
3. sqlglot's DuckDB -> Spark transpilation (:func:`~outcomes.core.portable.spark_sql.to_spark`).

:mod:`~outcomes.core.portable.portability_checks` names the lines that do not port
(``outcomes validate --portable``).
"""
