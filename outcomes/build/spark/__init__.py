"""The Spark engine of ``outcomes build --engine spark`` (issue 17).

The raw tables are exported from the snapshot being built (a copy of the raw store) as Parquet
(:mod:`~outcomes.build.spark.raw_export`); every staging, metric and ROI definition runs on
Spark as the portability layer (:mod:`outcomes.core.portable`) writes it
(:mod:`~outcomes.build.spark.spark_materialise`), and its rows come back into the same DuckDB
snapshot the app reads, typed as DuckDB types them. Tests, ledger and manifest stay on DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from outcomes.config import Settings
    from outcomes.core.registry import Registry

ENGINES = ("duckdb", "spark")
# the CLI's help texts of `outcomes build --engine` and `outcomes validate --portable`
ENGINE_HELP = (
    "Where the SQL runs: duckdb (default) or spark (setting spark.master: local[2], or a Spark "
    "Connect URL sc://host:15002; always a full build). The snapshot is a DuckDB file either way."
)
PORTABLE_HELP = "Also refuse SQL that would not run on Spark as on DuckDB, naming file and line."


def unportable_lines(registry: Registry, settings: Settings) -> list[str]:
    """``outcomes validate --portable``: ``path:line: message`` for each construct of the
    definitions that would not run on Spark as on DuckDB (empty: everything ports)."""
    from outcomes.core.portable.portability_checks import unportable_lines as problems
    from outcomes.store.sqlfunctions import build_settings

    return problems(registry, build_settings(settings))
