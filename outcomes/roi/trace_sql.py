"""The SQL text a snapshot's ROI figures were built with, for "show working".

From ``main.roi_sql`` (written by the build with the ledger); for an older snapshot, from the
file named in ``main.build_objects``, flagged when the file has changed since (sha256 differs).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from outcomes.core.blueprints import definition_bytes
from outcomes.roi.fetch import fetch_rows


@dataclass(frozen=True)
class SqlText:
    """The SQL of one object: text, path and sha256, and a note when they may not match."""

    text: str | None
    path: str | None
    sha256: str | None
    note: str | None


def sql_for(con: duckdb.DuckDBPyConnection, qualified: str) -> SqlText:
    """The SQL text of ``qualified`` the snapshot was built with (see the module doc)."""
    try:
        found = fetch_rows(
            con, "select sql, path, sql_sha256 from main.roi_sql where name = ?", [qualified]
        )
    except duckdb.CatalogException:
        found = []
    if found:
        text, path, sha = found[0]
        return SqlText(text, path, sha, None)
    schema, name = qualified.split(".", 1)
    kind = {"staging": "staging", "metrics": "metric", "roi": "roi"}.get(schema)
    try:
        objects = fetch_rows(
            con,
            "select path, sql_sha256 from main.build_objects where name = ? and kind = ?",
            [name, kind],
        )
    except duckdb.CatalogException:
        objects = []
    if not objects:
        return SqlText(None, None, None, f"no SQL recorded for {qualified} in this snapshot")
    path, sha = objects[0]
    try:
        data = definition_bytes(Path(path), name)
    except OSError:
        return SqlText(
            None, path, sha, f"{path} cannot be read; the snapshot recorded sha256 {sha}"
        )
    if hashlib.sha256(data).hexdigest() != sha:
        return SqlText(
            data.decode("utf-8", "replace"),
            path,
            sha,
            f"{path} has changed since this snapshot was built (its sha256 differs): the text "
            "shown is today's file, not the one the figures were built with",
        )
    return SqlText(data.decode("utf-8", "replace"), path, sha, None)
