"""``<warehouse>.manifest.json``: the manifest of the current snapshot, as a file beside it.

Written by every build (:mod:`outcomes.build.manifest`); read here without opening the
snapshot, e.g. after a build that ran in another process (:mod:`outcomes.store.rebuild`).

>>> import tempfile, pathlib
>>> from outcomes.config import Settings
>>> s = Settings(warehouse_path=pathlib.Path(tempfile.mkdtemp()) / "warehouse.duckdb")
>>> manifest_json_path(s).name, read_manifest_json(s) is None
('warehouse.duckdb.manifest.json', True)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from outcomes.config import Settings
from outcomes.core.definition import OBJECT_KIND


def manifest_json_path(settings: Settings) -> Path:
    """``<warehouse>.manifest.json``, the manifest of the current snapshot as JSON."""
    return Path(f"{settings.warehouse_path}.manifest.json")


@dataclass(frozen=True)
class ObjectRecord:
    """One object of a recorded build: its name, kind, status and error."""

    name: str
    kind: str  # staging | metric | roi
    status: str  # ok | failed | skipped
    error: str | None

    @property
    def qualified(self) -> str:
        schema = {v: k for k, v in OBJECT_KIND.items()}[self.kind]
        return f"{schema}.{self.name}"


class _Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def qualified(self) -> str: ...


BuiltObject = TypeVar("BuiltObject", bound=_Named)


@dataclass(frozen=True)
class BuildObjects(Generic[BuiltObject]):
    """What a build that ran (``outcomes.build.objects.BuildResult``) and a build as its manifest
    file records it (:class:`BuildRecord`) both are: an id, the snapshot's path, a status and
    its objects; did it go ``ok``, and which of its objects is named so."""

    build_id: str
    path: Path
    status: str  # ok | failed
    objects: tuple[BuiltObject, ...]

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def object(self, name: str) -> BuiltObject:
        """The object named ``name`` or ``schema.name``; KeyError when the build has none."""
        for o in self.objects:
            if name in (o.name, o.qualified):
                return o
        raise KeyError(name)


@dataclass(frozen=True)
class BuildRecord(BuildObjects[ObjectRecord]):
    """A build as its manifest file records it."""


def read_manifest_json(settings: Settings) -> BuildRecord | None:
    """The build recorded in ``<warehouse>.manifest.json``, or None without that file."""
    path = manifest_json_path(settings)
    if not path.exists():
        return None
    document = json.loads(path.read_text())
    return BuildRecord(
        build_id=document["build_id"],
        path=Path(document["warehouse"]),
        status=document["status"],
        objects=tuple(
            ObjectRecord(o["name"], o["kind"], o["status"], o["error"]) for o in document["objects"]
        ),
    )
