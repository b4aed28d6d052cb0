"""benchmarks/bench.py: the disk pre-flight and the report of a run that could not start."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench  # noqa: E402

PER_EVENT = bench.DISK_BYTES_PER_EVENT + bench.VERIFY_BYTES_PER_EVENT


def test_a_size_that_fits_runs_and_one_that_does_not_says_why(tmp_path):
    free = shutil.disk_usage(tmp_path).free
    fits = int(free / PER_EVENT / 2)
    assert bench.disk_shortfall(tmp_path, fits) is None
    too_many = int(free / PER_EVENT * 2)
    message = bench.disk_shortfall(tmp_path, too_many)
    assert message is not None and "GB of disk" in message and "available here" in message


def test_without_the_verify_build_a_size_needs_less_disk(tmp_path, monkeypatch):
    usage = shutil.disk_usage(tmp_path)._replace(free=10**9)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage)
    events = int(10**9 / bench.DISK_BYTES_PER_EVENT / 1.1) - 1
    assert bench.disk_shortfall(tmp_path, events, verify=False) is None
    assert bench.disk_shortfall(tmp_path, events, verify=True) is not None


def test_files_already_written_count_as_written(tmp_path, monkeypatch):
    # a rerun of a size whose data is already generated needs no more disk than that
    (tmp_path / "source.bin").write_bytes(b"x" * 1_000_000)
    usage = shutil.disk_usage(tmp_path)._replace(free=0)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage)
    assert bench.disk_shortfall(tmp_path, int(1_000_000 / PER_EVENT / 1.1)) is None
    assert bench.disk_shortfall(tmp_path, int(2_000_000 / PER_EVENT)) is not None


def test_the_report_of_a_run_that_did_not_start_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "HERE", tmp_path)
    steps = {"disk": {"not_run": "needs about 182 GB of disk"}}
    assert bench.write_report("100m", 100_000_000, "2026-12-03 20:00:00", steps) == 0
    md = (tmp_path / "results" / "latest-100m.md").read_text()
    assert "| disk |" in md and "needs about 182 GB of disk" in md
    assert (
        "| full build / hand-written floor (roll-up + drift SQL) | - | <= 2 (goal 1.1) | - |" in md
    )


def _ratio(rows: list[dict], what: str) -> dict:
    [row] = [r for r in rows if r["what"].startswith(what)]
    return row


def test_at_100m_the_incremental_build_is_timed_against_build_full():
    steps = {
        "build_full": {"wall_s": 500.0, "seconds": 480.0, "peak_rss_mb": 11_000.0},
        "build_incremental": {"wall_s": 50.0, "seconds": 40.0},
        "build_verify": {"not_run": bench.NOT_RUN_AT["100m"]["build_verify"]},
    }
    rows = bench.ratios(steps, 100_000_000)
    inc = _ratio(rows, "incremental build")
    assert inc["value"] == 40.0 / 480.0 and inc["met"] is True and "build_full" in inc["note"]
    assert _ratio(rows, "full build (s)")["met"] is True  # 480 s < 600 s
    assert _ratio(rows, "full build peak RSS")["met"] is True
    steps["build_full"] = {"wall_s": 700.0, "seconds": 650.0, "peak_rss_mb": 13_000.0}
    rows = bench.ratios(steps, 100_000_000)
    assert _ratio(rows, "incremental build")["met"] is True  # 40 / 650 = 0.06
    assert _ratio(rows, "full build (s)")["met"] is False
    assert _ratio(rows, "full build peak RSS")["met"] is False


def test_below_100m_the_absolute_targets_are_not_judged_and_identity_is_required():
    steps = {
        "build_full": {"wall_s": 80.0, "seconds": 80.0, "peak_rss_mb": 6_000.0},
        "build_incremental": {"wall_s": 5.0, "seconds": 5.0},
        "build_verify": {"wall_s": 90.0, "seconds": 80.0, "identical": False},
    }
    rows = bench.ratios(steps, 10_000_000)
    assert _ratio(rows, "full build (s)")["met"] is None
    inc = _ratio(rows, "incremental build")
    assert inc["value"] == 5.0 / 80.0 and inc["met"] is False  # fast, but not identical
    steps["build_verify"]["identical"] = True
    assert _ratio(bench.ratios(steps, 10_000_000), "incremental build")["met"] is True
