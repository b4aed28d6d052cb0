"""The atomic swap, proven: another process reads the warehouse in a loop while builds run.

The reader opens the snapshot afresh on every pass (both through ``open_snapshot`` and with a
plain ``duckdb.connect(path, read_only=True)``) and also holds one connection open the whole
time. Every read must succeed and see a complete build: the full long table, a manifest row
with status ok, and one of the build ids the parent produced.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from outcomes.build.full import build_snapshot
from tests.buildfixtures import EVENTS_PER_CELL, make_raw_store, settings_for, standard_sql

ROOT = Path(__file__).resolve().parents[2]
REPEAT = 40  # 600 events: a build takes long enough for reads to overlap it
BUILDS = 5

READER = r"""
import json, sys, time
from pathlib import Path
import duckdb
from outcomes.config import Settings
from outcomes.store.snapshot import open_snapshot

warehouse, raw, sql_dir, out_path, stop_path = sys.argv[1:6]
settings = Settings(warehouse_path=warehouse, raw_path=raw, sql_dir=sql_dir)
out = open(out_path, "a", buffering=1)

QUERY = '''
select
    (select build_id from main.build_manifest) as build_id,
    (select status from main.build_manifest) as status,
    (select count(*) from main.build_manifest) as manifests,
    (select count(*) from main.metric_values) as long_rows,
    (select count(*) from main.build_objects where status = 'ok') as objects_ok,
    (select count(*) from metrics.event_count) as event_count_rows
'''

def observe(con, how):
    build_id, status, manifests, long_rows, objects_ok, ec = con.execute(QUERY).fetchall()[0]
    out.write(json.dumps({"how": how, "build_id": build_id, "status": status, "manifests": manifests,
                          "long_rows": long_rows, "objects_ok": objects_ok, "event_count": ec}) + "\n")

held = open_snapshot(settings)
out.write(json.dumps({"how": "ready"}) + "\n")
passes = 0
while not Path(stop_path).exists() or passes < 3:
    passes += 1
    for how in ("fresh", "plain", "held"):
        try:
            if how == "held":
                observe(held, how)
            elif how == "fresh":
                con = open_snapshot(settings)
                try:
                    observe(con, how)
                finally:
                    con.close()
            else:
                con = duckdb.connect(warehouse, read_only=True)
                try:
                    observe(con, how)
                finally:
                    con.close()
        except Exception as exc:
            out.write(json.dumps({"how": how, "error": f"{type(exc).__name__}: {exc}"}) + "\n")
held.close()
out.write(json.dumps({"how": "done", "passes": passes}) + "\n")
"""


def read_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    # the reader may be mid-line: keep complete lines only
    return [json.loads(line) for line in lines if line.endswith("}")]


def wait_for(predicate, path: Path, timeout: float = 30.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = read_lines(path)
        if predicate(seen):
            return seen
        time.sleep(0.02)
    raise AssertionError(
        f"reader did not get there in {timeout} s; last lines: {read_lines(path)[-5:]}"
    )


@pytest.mark.slow
def test_readers_never_see_a_half_built_snapshot(tmp_path):
    make_raw_store(tmp_path / "store.duckdb", repeat=REPEAT)
    settings = settings_for(tmp_path, standard_sql(tmp_path / "sql"))
    first = build_snapshot(settings)
    assert first.status == "ok"
    expected_long_rows = len(EVENTS_PER_CELL) + 3 * 3  # event_count 6 + three weekly metrics
    build_ids = {first.build_id}

    out_path, stop_path = tmp_path / "reads.jsonl", tmp_path / "stop"
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            READER,
            str(settings.warehouse_path),
            str(settings.raw_path),
            str(settings.sql_dir),
            str(out_path),
            str(stop_path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda seen: sum(1 for s in seen if s.get("how") == "fresh") >= 3, out_path)
        for _ in range(BUILDS):
            result = build_snapshot(settings)
            assert result.status == "ok"
            build_ids.add(result.build_id)
            # let the reader see this build before the next one starts
            wait_for(
                lambda seen, b=result.build_id: (
                    {s["how"] for s in seen if s.get("build_id") == b} >= {"fresh", "plain"}
                ),
                out_path,
            )
        stop_path.touch()
        _, stderr = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    assert reader.returncode == 0, stderr

    seen = read_lines(out_path)
    assert seen[-1]["how"] == "done"
    errors = [s for s in seen if "error" in s]
    assert errors == [], errors[:5]
    observations = [s for s in seen if s["how"] in ("fresh", "plain", "held")]
    assert len(observations) >= 3 * (BUILDS + 1)
    for s in observations:
        assert s["build_id"] in build_ids, s
        assert s["status"] == "ok" and s["manifests"] == 1, s
        assert s["long_rows"] == expected_long_rows, s
        assert s["objects_ok"] == 6 and s["event_count"] == len(EVENTS_PER_CELL), s
    # fresh readers followed every build; the held connection kept the build it opened
    for how in ("fresh", "plain"):
        assert {s["build_id"] for s in observations if s["how"] == how} == build_ids
    assert {s["build_id"] for s in observations if s["how"] == "held"} == {first.build_id}
    # no temp files left behind; readers' per-build links only for the current build
    readers = settings.warehouse_path.parent / ".warehouse.duckdb.readers"
    assert [p.name for p in readers.iterdir() if p.is_dir()] == [
        f"{settings.warehouse_path.stat().st_ino}-{settings.warehouse_path.stat().st_mtime_ns}"
    ]
    assert sorted(p.name for p in settings.warehouse_path.parent.iterdir() if p != readers) == [
        "warehouse.duckdb",
        "warehouse.duckdb.manifest.json",
    ]
