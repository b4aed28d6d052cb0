"""One metric's page in the catalog: header, SQL file, lineage, build result and tests; and
the registry look-ups the catalog and the workbench share (names, the valid definition, a
name a metric file may have).

>>> is_metric_name("hours_saved"), is_metric_name("Hours saved")
(True, False)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.markup import md_text
from outcomes.app.registry_cache import current_registry
from outcomes.app.views.catalog import UNOWNED
from outcomes.app.views.metric_lineage import Lineage, lineage

# the app queries behind a metric's build and tests tabs
QUERIES = ("catalog_metric_build", "catalog_metric_tests")


@dataclass(frozen=True)
class MetricDetail:
    """Everything the metric page shows that comes from the files and the snapshot."""

    name: str
    valid: bool
    header: dict[str, object]  # header fields as plain values ({} when the file is broken)
    sql: str
    path: str
    errors: tuple[str, ...]  # the file's definition errors, when broken
    lineage: Lineage
    tests: pd.DataFrame  # test, status, failing_rows, message (this build)
    build: dict[str, object]  # status, error, rows, duration_ms of this build


def metric_detail(
    con: duckdb.DuckDBPyConnection, sql_dir: str | os.PathLike[str], name: str
) -> MetricDetail:
    """One metric's header, SQL, lineage, build result and tests (KeyError if unknown)."""
    registry = current_registry(sql_dir)
    q = registry.resolve(name)
    if not q.startswith("metrics."):
        raise KeyError(f"{name!r} is not a metric ({q})")
    definition = registry.definitions.get(q)
    broken = registry.broken.get(q)
    item = definition or broken
    assert item is not None
    # a family file's metric shows its own text (outcomes.core.blueprints), as it was built
    sql = (
        definition.sql
        if definition is not None
        else Path(item.path).read_text(encoding="utf-8", errors="replace")
    )
    tests = queries.run(con, "catalog_metric_tests", {"name": item.name})
    builds = queries.run(con, "catalog_metric_build", {"name": item.name})
    build = builds.iloc[0].to_dict() if len(builds) else {"status": "not built"}
    header = definition.header.model_dump(mode="json") if definition is not None else {}
    return MetricDetail(
        name=item.name,
        valid=definition is not None,
        header=header,
        sql=sql,
        path=str(item.path),
        errors=tuple(str(e) for e in (broken.errors if broken is not None else ())),
        lineage=lineage(registry, q),
        tests=tests,
        build=build,
    )


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def is_metric_name(text: str) -> bool:
    """Whether ``text`` can name a metric file (lowercase identifier)."""
    return bool(_NAME.match(text))


def header_markdown(header: dict[str, object], thresholds: str) -> str:
    """A metric header's grain, kind, unit, direction, owner, thresholds, dimensions and tags,
    as the lines under its description.

    >>> header_markdown({"grain": "week", "kind": "model", "unit": "ratio",
    ...     "direction": "up", "dimensions": ["segment"]}, "").splitlines()[2]
    '**Owner:** (unowned) · **Thresholds:** none · **Dimensions:** segment · **Tags:** none'
    """
    # a parsed header's dimensions and tags are lists of names
    dimensions = ", ".join(cast("list[str]", header.get("dimensions") or [])) or "none"
    tags = ", ".join(cast("list[str]", header.get("tags") or [])) or "none"
    # header text is what someone typed: escaped (outcomes.app.markup)
    return (
        f"**Grain:** {md_text(header.get('grain'))}  \n"
        f"**Kind:** {header.get('kind')} · **Unit:** {header.get('unit')} · "
        f"**Direction:** {header.get('direction')}  \n"
        f"**Owner:** {md_text(header.get('owner') or UNOWNED)} · "
        f"**Thresholds:** {thresholds or 'none'} · "
        f"**Dimensions:** {md_text(dimensions)} · "
        f"**Tags:** {md_text(tags)}"
    )
