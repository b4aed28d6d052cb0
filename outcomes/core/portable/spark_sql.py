"""A definition's DuckDB SQL as Spark SQL: macros inlined, rewrites applied, transpiled.

>>> settings = {"timezone": "UTC", "week_start": "1", "as_of": "2026-11-19 12:00:00"}
>>> spark = to_spark("select week_of(occurred_at) as w from raw.ai_events", settings)
>>> "(DAYOFWEEK(" in spark and "+ 5) % 7 + 1" in spark and "FROM raw__ai_events" in spark
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import sqlglot
from sqlglot import exp

from outcomes.core.portable.macro_expansion import DIALECT, expand_tree
from outcomes.core.portable.spark_rewrites import REWRITES


def portable_tree(sql: str, settings: Mapping[str, str]) -> exp.Expression:
    """The DuckDB tree of ``sql`` with macros inlined and every Spark rewrite applied."""
    tree = expand_tree(cast(exp.Expression, sqlglot.parse_one(sql, read=DIALECT)), settings)
    for rewrite in REWRITES:
        tree = rewrite(tree)
    return tree


def to_spark(sql: str, settings: Mapping[str, str]) -> str:
    """Spark SQL computing what DuckDB ``sql`` computes with build ``settings``."""
    return portable_tree(sql, settings).sql("spark")
