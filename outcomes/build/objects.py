"""What a build records (the build, each object, each header test) and the facts it reads to
record them.

Shared by the full build (:mod:`outcomes.build.materialise`) and the incremental one
(:mod:`outcomes.build.incremental`): the result records, DuckDB's error text tied to the
definition's file line, the loads an object was built from, and the columns of a raw table.

>>> error_text(Exception("Binder Error: no column x\\n\\nCandidate functions:\\n  f(a)\\n"))
'Binder Error: no column x'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from outcomes.core.definition import OBJECT_KIND, BrokenDefinition, SqlDefinition
from outcomes.core.quoting import quote_ident
from outcomes.store.manifest_file import BuildObjects


@dataclass(frozen=True)
class ObjectResult:
    """One staging view, metric or ROI table of a build (a row of ``main.build_objects``)."""

    name: str
    kind: str  # staging | metric | roi
    path: str
    sql_sha256: str
    rows: int | None
    duration_ms: float
    status: str  # ok | failed | skipped
    error: str | None
    depends_on: tuple[str, ...]
    load_ids: tuple[str, ...]

    @property
    def qualified(self) -> str:
        schema = {v: k for k, v in OBJECT_KIND.items()}[self.kind]
        return f"{schema}.{self.name}"

    @classmethod
    def of(
        cls,
        item: SqlDefinition | BrokenDefinition,
        *,
        status: str,
        error: str | None,
        rows: int | None,
        duration_ms: float,
        depends_on: tuple[str, ...],
        load_ids: tuple[str, ...],
    ) -> ObjectResult:
        """The record of ``item`` (name, kind, path, sha256) and how its build went."""
        return cls(
            name=item.name,
            kind=item.kind,
            path=str(item.path),
            sql_sha256=item.sha256,
            rows=rows,
            duration_ms=round(duration_ms, 3),
            status=status,
            error=error,
            depends_on=depends_on,
            load_ids=load_ids,
        )


@dataclass(frozen=True)
class HeaderTestResult:
    """One header test of a build (a row of ``main.build_tests``)."""

    name: str
    test: str
    status: str  # pass | fail | error
    failing_rows: int | None
    message: str


@dataclass(frozen=True)
class BuildResult(BuildObjects[ObjectResult]):
    """What :func:`outcomes.build.full.build_snapshot` built and how it went: the build's id,
    snapshot path, status and objects (:class:`BuildObjects`), its header tests and times."""

    tests: tuple[HeaderTestResult, ...]
    duration: float  # seconds
    started_at: dt.datetime
    finished_at: dt.datetime
    manifest_path: Path


_CANDIDATES = re.compile(r"\s*Candidate functions:.*?(?=LINE \d+:|$)", re.S)
_LINE = re.compile(r"LINE (\d+):")


def error_text(exc: Exception, d: SqlDefinition | None = None) -> str:
    """DuckDB's message on one line, without the candidate list; LINE n becomes the file line."""
    text = _CANDIDATES.sub(" ", str(exc))
    if d is not None:
        # The statement ran as "create ... as\n<body_sql>": its line 2 is body_sql's line 1.
        text = _LINE.sub(
            lambda m: f"at {Path(d.path).name} line {d.body_line + int(m.group(1)) - 2}:", text
        )
    text = " ".join(text.split())
    return text if len(text) <= 1000 else text[:997] + "..."


def load_ids_of(
    con: duckdb.DuckDBPyConnection, raw_tables: Iterable[str], cache: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The loads whose rows ``raw_tables`` hold (``raw.x`` names), sorted; ``cache`` keeps the
    ids per table across the objects of one build."""
    found: set[str] = set()
    for ref in raw_tables:
        if ref not in cache:
            table = ref.split(".", 1)[1]
            columns = raw_columns(con, table)
            column = (
                "_load_id"
                if "_load_id" in columns
                else "load_id"
                if table == "quarantine"
                else None
            )
            cache[ref] = (
                tuple(
                    r[0]
                    for r in con.execute(
                        f"select distinct {column} from raw.{quote_ident(table)} where {column} is not null order by 1"
                    ).fetchall()
                )
                if column
                else ()
            )
        found.update(cache[ref])
    return tuple(sorted(found))


def raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The column names of ``raw.<table>`` in the current database (empty when it is missing)."""
    return {
        c
        for (c,) in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'raw' and table_name = ?",
            [table],
        ).fetchall()
    }


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The single value ``sql`` returns (a count)."""
    return con.execute(sql).fetchall()[0][0]
