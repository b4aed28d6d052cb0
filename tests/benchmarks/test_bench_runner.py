"""benchmarks/bench.py: the disk pre-flight and the report of a run that could not start."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench  # noqa: E402


def test_a_size_that_fits_runs_and_one_that_does_not_says_why(tmp_path):
    free = shutil.disk_usage(tmp_path).free
    fits = int(free / bench.DISK_BYTES_PER_EVENT / 2)
    assert bench.disk_shortfall(tmp_path, fits) is None
    too_many = int(free / bench.DISK_BYTES_PER_EVENT * 2)
    message = bench.disk_shortfall(tmp_path, too_many)
    assert message is not None and "GB of disk" in message and "available here" in message


def test_files_already_written_count_as_written(tmp_path, monkeypatch):
    # a rerun of a size whose data is already generated needs no more disk than that
    (tmp_path / "source.bin").write_bytes(b"x" * 1_000_000)
    usage = shutil.disk_usage(tmp_path)._replace(free=0)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage)
    assert bench.disk_shortfall(tmp_path, int(1_000_000 / bench.DISK_BYTES_PER_EVENT / 1.1)) is None
    assert bench.disk_shortfall(tmp_path, int(2_000_000 / bench.DISK_BYTES_PER_EVENT)) is not None


def test_the_report_of_a_run_that_did_not_start_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "HERE", tmp_path)
    steps = {"disk": {"not_run": "needs about 182 GB of disk"}}
    assert bench.write_report("100m", 100_000_000, "2026-12-03 20:00:00", steps) == 0
    md = (tmp_path / "results" / "latest-100m.md").read_text()
    assert "| disk |" in md and "needs about 182 GB of disk" in md
    assert "| full build / hand-written floor (roll-up + drift SQL) | - | <= 1.5 | - |" in md
