"""The build's manifest: its id, what it built from what, how each object and test went.

Written twice: as tables in the snapshot (``main.build_manifest``, ``main.build_objects``,
``main.build_tests``) and as ``<warehouse>.manifest.json`` beside it.

>>> make_build_id(dt.datetime(2026, 11, 22, 2, 45, 1), "3f2a9c1b")
'B20261122T024501-3f2a9c1b'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import asdict

import duckdb

from outcomes.build.clock import utc_now
from outcomes.build.objects import BuildResult, HeaderTestResult, ObjectResult
from outcomes.config import Settings
from outcomes.store.manifest_file import manifest_json_path

MANIFEST_DDL = (
    """create table main.build_manifest (
        build_id varchar, started_at timestamp, finished_at timestamp, status varchar,
        sql_dir varchar, settings json, raw_fingerprint varchar, version varchar)""",
    """create table main.build_objects (
        build_id varchar, name varchar, kind varchar, path varchar, sql_sha256 varchar,
        rows bigint, duration_ms double, status varchar, error varchar,
        depends_on varchar[], load_ids varchar[])""",
    """create table main.build_tests (
        build_id varchar, name varchar, test varchar, status varchar, failing_rows bigint,
        message varchar)""",
)


def make_build_id(now: dt.datetime | None = None, suffix: str | None = None) -> str:
    """``B<UTC yyyymmddThhmmss>-<8 hex>``; sorts by time."""
    now = now or utc_now()
    return f"B{now:%Y%m%dT%H%M%S}-{suffix or secrets.token_hex(4)}"


def write_manifest(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    build_id: str,
    started: dt.datetime,
    finished: dt.datetime,
    status: str,
    objects: list[ObjectResult],
    tests: list[HeaderTestResult],
) -> None:
    """Fill ``main.build_manifest``, ``main.build_objects`` and ``main.build_tests``."""
    fingerprint_rows = con.execute(
        "select load_id, coalesce(file_sha256, '') from raw.loads order by 1, 2"
    ).fetchall()
    fingerprint = hashlib.sha256(
        "\n".join(f"{a}:{b}" for a, b in fingerprint_rows).encode()
    ).hexdigest()
    con.execute(
        "insert into main.build_manifest values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            build_id,
            started,
            finished,
            status,
            str(settings.sql_dir),
            settings.model_dump_json(),
            fingerprint,
            package_version(),
        ],
    )
    if objects:
        con.executemany(
            "insert into main.build_objects values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    build_id,
                    o.name,
                    o.kind,
                    o.path,
                    o.sql_sha256,
                    o.rows,
                    o.duration_ms,
                    o.status,
                    o.error,
                    list(o.depends_on),
                    list(o.load_ids),
                ]
                for o in objects
            ],
        )
    if tests:
        con.executemany(
            "insert into main.build_tests values (?, ?, ?, ?, ?, ?)",
            [[build_id, t.name, t.test, t.status, t.failing_rows, t.message] for t in tests],
        )


def write_manifest_json(settings: Settings, result: BuildResult) -> None:
    """Write ``<warehouse>.manifest.json`` (atomically: a reader never sees half of it)."""
    path = manifest_json_path(settings)
    document = {
        "build_id": result.build_id,
        "status": result.status,
        "started_at": result.started_at.isoformat(sep=" "),
        "finished_at": result.finished_at.isoformat(sep=" "),
        "duration_s": round(result.duration, 3),
        "warehouse": str(result.path),
        "sql_dir": str(settings.sql_dir),
        "version": package_version(),
        "objects": [asdict(o) for o in result.objects],
        "tests": [asdict(t) for t in result.tests],
    }
    tmp = path.with_name(f".{path.name}-{result.build_id}.tmp")
    tmp.write_text(json.dumps(document, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def package_version() -> str:
    """The installed version of outcomes (0.1.0 from a checkout never installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("outcomes")
    except PackageNotFoundError:
        return "0.1.0"
