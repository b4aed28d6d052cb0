"""kill -9 at random moments (slow): ingest and build are killed mid-way, again and again.

Ingest: after every kill the raw store opens and is consistent (every loaded file's rows are
all there, nothing of a killed load is), and ingesting the same files again loads each exactly
once. Build: after every kill the current snapshot is still a complete one, and the next build
removes the temporary files of the killed ones.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from outcomes.config import Settings
from outcomes.demo_pipeline import run_demo
from outcomes.ingest.load import ingest_path
from outcomes.store.raw import open_raw_store
from outcomes.store.snapshot import open_file
from tests.conftest import BUILD_AS_OF, DEMO_END, settings_for
from tests.hostile_files import EVENT

ROOT = Path(__file__).resolve().parents[2]
KILLS = 10
ROWS = 40_000

pytestmark = pytest.mark.slow


def write_events(path: Path, tag: str, rows: int) -> Path:
    """`rows` valid ai_events rows with ids ``<tag>-<n>``, written by DuckDB (fast)."""
    cols = ", ".join(
        f"'{v}' as {k}" if k != "event_id" else f"'{tag}-' || i as event_id"
        for k, v in EVENT.items()
    )
    con = duckdb.connect()
    con.execute(f"copy (select {cols} from range({rows}) as t(i)) to '{path}' (header)")
    con.close()
    return path


def argv(f: Path) -> list[str]:
    """The CLI command that ingests `f` into ai_events."""
    return [sys.executable, "-m", "outcomes", "ingest", str(f), "--table", "ai_events"]


def kill_at_random(command: list[str], env: dict[str, str], delay: float) -> bool:
    """Run `command`, SIGKILL it after `delay` s; True when it was still running then."""
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(delay)
    running = proc.poll() is None
    proc.kill()
    proc.wait()
    return running


def check_raw_store(settings: Settings) -> int:
    """Every loaded file's rows are all in the store, no row lacks its ledger row; row count."""
    with open_raw_store(settings, write=True, timeout=30) as con:  # replays a WAL left behind
        loads = con.execute(
            "select load_id, rows_in, rows_accepted, rows_quarantined, rows_skipped "
            "from raw.loads where status = 'loaded'"
        ).fetchall()
        stored = dict(
            con.execute("select _load_id, count(*) from raw.ai_events group by 1").fetchall()
        )
        for load_id, rows_in, accepted, quarantined, skipped in loads:
            assert stored.pop(load_id, 0) == accepted
            assert rows_in == accepted + quarantined + skipped
        assert stored == {}, f"rows of loads missing from the ledger: {stored}"
        [(n,)] = con.execute("select count(*) from raw.ai_events").fetchall()
    return n


def test_ingest_killed_at_random_moments_loses_nothing_and_loads_once(tmp_path):
    rng = random.Random(14)
    settings = Settings(raw_path=tmp_path / "raw.duckdb")
    env = {**os.environ, "OUTCOMES_RAW_PATH": str(settings.raw_path)}
    files = [write_events(tmp_path / f"events-{k:02d}.csv", f"K{k}", ROWS) for k in range(KILLS)]
    timed = [write_events(tmp_path / f"events-timed-{k}.csv", f"T{k}", ROWS) for k in range(2)]
    runs = []  # whole runs, to spread the kills over a run's length (the first one is cold)
    for f in timed:
        started = time.monotonic()
        subprocess.run(argv(f), cwd=ROOT, env=env, check=True, capture_output=True)
        runs.append(time.monotonic() - started)
    full = min(runs)
    killed_running = 0
    for f in files:
        killed_running += kill_at_random(argv(f), env, rng.uniform(0.1, full * 0.9))
        check_raw_store(settings)
    assert killed_running >= KILLS // 2, f"most kills must land while ingest runs ({runs} s)"
    results = ingest_path(tmp_path, "ai_events", settings, lock_timeout=30)
    assert {r.status for r in results} <= {"loaded", "skipped_duplicate_file"}
    assert check_raw_store(settings) == (KILLS + 2) * ROWS
    with open_raw_store(settings, write=False) as con:
        [(loaded_files,)] = con.execute(
            "select count(distinct file_sha256) from raw.loads where status = 'loaded'"
        ).fetchall()
        [(twice,)] = con.execute(
            "select count(*) from (select file_sha256 from raw.loads where status = 'loaded' "
            "group by 1 having count(*) > 1)"
        ).fetchall()
    assert (loaded_files, twice) == (KILLS + 2, 0)


def snapshot_build_id(path: Path) -> str | None:
    """The build id of a complete snapshot at `path` (None when there is none yet)."""
    if not path.exists():
        return None
    con = open_file(path)
    try:
        [(build_id, status)] = con.execute(
            "select build_id, status from main.build_manifest"
        ).fetchall()
        assert status in ("ok", "failed")
        assert con.execute("select count(*) from main.metric_values").fetchall()[0][0] > 0
        return str(build_id)
    finally:
        con.close()


def test_build_killed_at_random_moments_keeps_a_whole_snapshot_and_leaves_nothing(tmp_path):
    rng = random.Random(1414)
    settings = settings_for(tmp_path)
    assert run_demo(settings, events=6_000, end=DEMO_END, build=False, loaded_by="pytest") == 0
    env = {
        **os.environ,
        "OUTCOMES_RAW_PATH": str(settings.raw_path),
        "OUTCOMES_WAREHOUSE_PATH": str(settings.warehouse_path),
        "OUTCOMES_STATE_PATH": str(settings.state_path),
        "OUTCOMES_BUILD_AS_OF": BUILD_AS_OF.isoformat(),
    }
    build = [sys.executable, "-m", "outcomes", "build"]
    started = time.monotonic()
    subprocess.run(build, cwd=ROOT, env=env, check=True, capture_output=True)
    full = time.monotonic() - started
    first = snapshot_build_id(settings.warehouse_path)
    assert first is not None
    killed_running, leftovers_seen = 0, 0
    for _ in range(KILLS):
        killed_running += kill_at_random(build, env, rng.uniform(0.3, full * 0.9))
        assert snapshot_build_id(settings.warehouse_path) is not None  # whole, old or new
        leftovers_seen += len(list(tmp_path.glob(".warehouse-*.duckdb.tmp*")))
    assert killed_running >= KILLS // 2, "most kills must land while the build runs"
    assert leftovers_seen > 0, "some kill should have left a temporary file behind"
    subprocess.run(build, cwd=ROOT, env=env, check=True, capture_output=True)
    assert snapshot_build_id(settings.warehouse_path) not in (None, first)
    assert list(tmp_path.glob(".warehouse-*")) == []
