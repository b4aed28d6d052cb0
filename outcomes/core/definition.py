"""One SQL definition file, as the registry holds it: checked, broken, or a problem in it.

A definition is ``sql/<schema>/<name>.sql`` (schema staging, metrics or roi); the build creates
one object per definition, of the kind :data:`OBJECT_KIND` names.

>>> str(DefinitionProblem(Path("/nowhere/x.sql"), 3, "bad"))
'/nowhere/x.sql:3: bad'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from outcomes.core.headers import STANDARD_COLUMNS, MetricHeader, RoiHeader, StagingHeader

SCHEMAS = ("staging", "metrics", "roi")
OBJECT_KIND = {"staging": "staging", "metrics": "metric", "roi": "roi"}
VIEW_TAG = "view"


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem in one file; ``str()`` is ``path:line: message``."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = display_path(self.path)
        return f"{where}:{self.line}: {self.message}" if self.line else f"{where}: {self.message}"


class SchemaObject:
    """The object a definition file makes: ``schema.name`` and its kind."""

    schema: str
    name: str

    @property
    def qualified(self) -> str:
        """``schema.name``, e.g. ``metrics.accuracy``."""
        return f"{self.schema}.{self.name}"

    @property
    def kind(self) -> str:
        """``staging``, ``metric`` or ``roi`` (the manifest's ``kind``)."""
        return OBJECT_KIND[self.schema]


@dataclass(frozen=True)
class SqlDefinition(SchemaObject):
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
    def extra_columns(self) -> tuple[str, ...]:
        """Output columns that are neither standard metric columns nor dimensions."""
        dims = set(getattr(self.header, "dimensions", ()))
        return tuple(
            c for c in self.columns or () if c not in STANDARD_COLUMNS and c not in dims and c
        )


@dataclass(frozen=True)
class BrokenDefinition(SchemaObject):
    """A file that failed its checks (kept so that a build can record it and skip dependents)."""

    path: Path
    schema: str
    name: str
    sha256: str
    errors: tuple[DefinitionProblem, ...]
    reads: frozenset[str] = frozenset()

    @property
    def message(self) -> str:
        return "; ".join(
            f"line {e.line}: {e.message}" if e.line else e.message for e in self.errors
        )


def is_view(d: SqlDefinition | BrokenDefinition) -> bool:
    """A staging definition tagged ``view``: kept as a view over its SQL, not materialised."""
    header = getattr(d, "header", None)
    return d.kind == "staging" and VIEW_TAG in (getattr(header, "tags", None) or ())


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
