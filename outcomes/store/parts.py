"""A snapshot's large staging rows as immutable Parquet files ("parts"), shared between builds.

A staging table tagged ``key_local(<key>)`` (ai_events, ai_features, feedback, work_items,
load_rows) keeps its rows in Parquet files under ``<warehouse folder>/<warehouse stem>.parts``:
``<build id>/<object>-<seq>.parquet``, written once by the build named in the folder and never
rewritten. The snapshot lists them (``main.staging_parts``) and ``staging_data.<object>`` is a
view over exactly the listed files, as ``raw.<table>`` is over its load files
(:mod:`outcomes.store.segments`). So an incremental build does not copy the rows of the previous
snapshot: it copies its small DuckDB file (metrics, small staging, the lists) and writes one new
part per object, with the rows of the keys new loads touched. A row of an earlier part whose key
a later part recomputed is left out by the view: ``main.staging_replaced`` lists, per object, the
keys each part replaced (``seq``: the part's number, larger is later). A full build writes every
object's parts afresh, so its views read no replaced keys.

Paths are relative to the parts folder, which is on every reader's ``file_search_path`` beside
the raw store's ``.segments`` folder (no server path in a catalog a metric author can read); the
SQL sandbox reads exactly the listed files (``allowed_paths``), a build exactly the folders of
the parts it lists plus its own (``allowed_directories``), with external access off.

Parts no snapshot needs are removed after a build is swapped in (:func:`prune`): those of the
new snapshot and of the one it replaced stay (a reader may still be reading that one), as do
the folders of builds still running.

>>> from outcomes.config import Settings
>>> s = Settings(warehouse_path="/srv/x/warehouse.duckdb")
>>> str(parts_root(s)), part_path("B20261207T150000-1a2b3c4d", "ai_features", 3)
('/srv/x/warehouse.parts', 'B20261207T150000-1a2b3c4d/ai_features-3.parquet')
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from outcomes.config import Settings

PARTS_DDL = (
    "create table if not exists main.staging_parts "
    "(object varchar, seq integer, path varchar, rows bigint, bytes bigint, replaced_rows bigint)"
)
REPLACED_DDL = (
    "create table if not exists main.staging_replaced (object varchar, seq integer, k varchar)"
)


PARTS_SUFFIX = ".parts"


def parts_root(settings: Settings) -> Path:
    """``<warehouse folder>/<warehouse stem>.parts``: the snapshots' staging parts."""
    target = Path(settings.warehouse_path).resolve()
    return target.parent / f"{target.stem}{PARTS_SUFFIX}"


def part_path(build_id: str, name: str, seq: int) -> str:
    """A part's path under :func:`parts_root`: ``<build id>/<object>-<seq>.parquet``."""
    return f"{build_id}/{name}-{seq}.parquet"


def listed(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The relative paths of the parts ``main.staging_parts`` lists on ``con`` ([] if none)."""
    try:
        rows = con.execute("select path from main.staging_parts order by path").fetchall()
    except duckdb.CatalogException:
        return []
    return [p for (p,) in rows]


def allowed_files(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    """Each listed part as its view names it (relative) and as DuckDB resolves it (absolute):
    the entries of ``allowed_paths`` that let a reader with external access off read them."""
    rel = listed(con)
    root = parts_root(settings)
    return [*rel, *(str(root / p) for p in rel)]


def check_parts(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Every part ``main.staging_parts`` lists on ``con`` is there with its recorded size;
    raises FileNotFoundError naming the first that is not."""
    try:
        rows = con.execute("select path, bytes from main.staging_parts order by path").fetchall()
    except duckdb.CatalogException:
        return
    root = parts_root(settings)
    for path, size in rows:
        f = root / path
        have = f.stat().st_size if f.is_file() else None
        if have != size:
            what = "is missing" if have is None else f"has {have:,} bytes, not {size:,}"
            raise FileNotFoundError(
                f"the snapshot being built lists the staging part {f}, which {what}: a part is "
                "never written twice nor removed while a snapshot lists it; build again "
                "(`outcomes build` writes every part afresh)"
            )


def allowed_folders(con: duckdb.DuckDBPyConnection, settings: Settings, build_id: str) -> list[str]:
    """The folders a build reads and writes parts in (its own and those of the parts it lists),
    relative and absolute, each ending in ``/``: the entries of ``allowed_directories``."""
    folders = sorted(folders_of(listed(con)) | {build_id})
    root = parts_root(settings)
    return [*(f"{f}/" for f in folders), *(f"{root / f}/" for f in folders)]


def prune(settings: Settings, keep: set[str], running: set[str]) -> list[Path]:
    """Remove the folders of builds under the parts root that are not in ``keep`` (folders the
    current and the previous snapshot list) nor in ``running`` (builds in progress); returns
    what was removed."""
    root = parts_root(settings)
    if not root.is_dir():
        return []
    removed = []
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and folder.name not in keep and folder.name not in running:
            prune_folder(folder)
            removed.append(folder)
    return removed


def folders_of(paths: list[str]) -> set[str]:
    """The build folders of relative part paths.

    >>> sorted(folders_of(["B1/a-0.parquet", "B1/b-0.parquet", "B2/a-1.parquet"]))
    ['B1', 'B2']
    """
    return {p.split("/", 1)[0] for p in paths}


def remove_parts_of(settings: Settings, build_id: str) -> None:
    """Remove the folder of a build that failed before it was swapped in (no snapshot lists
    its parts)."""
    folder = parts_root(settings) / build_id
    if folder.is_dir():
        prune_folder(folder)


def prune_folder(folder: Path) -> None:
    for f in folder.iterdir():  # parts are read-only; their folder is not
        f.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)


def copy_snapshot(source: Path, target: Path) -> None:
    """Copy a snapshot to another path: its file, and its parts folder as hard links (parts are
    never written again, so sharing them is safe; a copy where links cannot be made). For a
    backup, a test or a second warehouse path; call with no build running on ``source``."""
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    link_files(
        source.resolve().parent / f"{source.stem}{PARTS_SUFFIX}",
        target.resolve().parent / f"{target.stem}{PARTS_SUFFIX}",
    )


def link_files(src: Path, dst: Path) -> None:
    """``dst`` made a copy of ``src``'s ``<folder>/<file>.parquet`` files as hard links (files
    never written again, so sharing them is safe; a copy where links cannot be made). An
    existing ``dst`` is replaced."""
    if dst.exists():
        shutil.rmtree(dst)  # unlinking needs the folder's permission, not the file's
    for f in sorted(src.glob("*/*.parquet")) if src.is_dir() else []:
        (dst / f.parent.name).mkdir(parents=True, exist_ok=True)
        try:
            os.link(f, dst / f.parent.name / f.name)
        except OSError:
            shutil.copy2(f, dst / f.parent.name / f.name)
