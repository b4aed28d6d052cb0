"""Every CLI error is one clear line and exit 2, never a traceback (issue 13)."""

from __future__ import annotations

import errno
import subprocess
import sys

import pytest

from outcomes.cli import main
from outcomes.store.parts import copy_snapshot
from tests.clihelpers import one_line_error


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["check", "--week", "2026-06-24"], "not the start of a reporting week: use 2026-06-22"),
        (["check", "--week", "2020-01-06"], "outside the snapshot's weeks"),
        (["check", "--week", "2026-11-16"], "the current, partial week"),
        (["roi", "summary", "2026-13"], "the month of YYYY-MM must be 01..12"),
        (["roi", "close", "2026"], "is not a month"),
        (["roi", "export", "Q5", "--out", "x.zip"], "is not a month"),
        (["roi", "verify", "no/such/pack.zip"], "no/such/pack.zip"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(demo_env, capsys, argv, expected):
    err = one_line_error(capsys, main(argv))
    assert expected in err


def test_a_busy_store_is_one_line_and_exit_2(demo_env, capsys, tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse.duckdb"
    copy_snapshot(demo_env.warehouse_path, warehouse)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("OUTCOMES_WAREHOUSE_PATH", str(warehouse))
        err = one_line_error(capsys, main(["roi", "summary", "2026-10"]))
    finally:
        holder.kill()
        holder.wait()
    assert "lock" in err.lower()


def test_a_full_disk_is_one_line_and_exit_2(demo_env, capsys, monkeypatch, tmp_path):
    import outcomes.roi.pack_export as pack_export

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pack_export, "export_pack", full)
    err = one_line_error(
        capsys, main(["roi", "export", "2026-10", "--out", str(tmp_path / "p.zip")])
    )
    assert "No space left on device" in err
