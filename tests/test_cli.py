"""The command line, as a user runs it: a real subprocess, real files, exit codes 0 / 1 / 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from outcomes.cli import COMMANDS
from outcomes.store.segments import copy_raw_store
from tests.conftest import ROOT


def run(
    args: list[str], env_paths: dict[str, Path] | None = None, **env: str
) -> subprocess.CompletedProcess:
    full = dict(os.environ, **env)
    for key, value in (env_paths or {}).items():
        full[key] = str(value)
    return subprocess.run(
        [sys.executable, "-m", "outcomes", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )


def tmp_env(root: Path) -> dict[str, Path]:
    return {
        "OUTCOMES_WAREHOUSE_PATH": root / "warehouse.duckdb",
        "OUTCOMES_RAW_PATH": root / "raw.duckdb",
        "OUTCOMES_STATE_PATH": root / "state.sqlite",
        "OUTCOMES_DEMO_DIR": root / "demo",
    }


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command):
    result = run([command, "--help"])
    assert result.returncode == 0
    assert COMMANDS[command][1].split(" ")[0] in result.stdout


def test_console_script_is_the_same_cli():
    script = Path(sys.executable).parent / "outcomes"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "Exit codes" in result.stdout


def test_bad_usage_exits_2():
    assert run(["no-such-command"]).returncode == 2
    assert run(["ingest", "x.csv"]).returncode == 2  # --table missing


def test_unknown_table_and_missing_file_exit_2(tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,2\n")
    result = run(["ingest", str(csv), "--table", "nope"], tmp_env(tmp_path))
    assert result.returncode == 2
    assert "nope" in result.stderr and "ai_events" in result.stderr
    result = run(["ingest", str(tmp_path / "missing.csv"), "--table", "costs"], tmp_env(tmp_path))
    assert result.returncode == 2 and "missing.csv" in result.stderr


def test_refused_file_exits_2_and_names_the_file(tmp_path):
    bad = tmp_path / "costs.csv"
    bad.write_text("cost_id,amount\nC1,10\n")  # required columns missing
    result = run(["ingest", str(bad), "--table", "costs"], tmp_env(tmp_path))
    assert result.returncode == 2
    assert "costs.csv" in result.stderr


def test_ingest_prints_accounting_and_progress(tmp_path):
    csv = tmp_path / "costs.csv"
    csv.write_text(
        "cost_id,period_start,period_end,category,amount,currency,vendor,invoice_ref\n"
        "C1,2026-01-01,2026-01-31,infrastructure,100.00,USD,Cloud,INV-1\n"
        "C2,2026-01-01,2026-01-31,infrastructure,-5.00,USD,Cloud,INV-2\n"
    )
    result = run(["ingest", str(csv), "--table", "costs"], tmp_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "rows in 2 = accepted 1 + quarantined 1" in result.stdout
    assert "rows/s" in result.stderr


def test_build_without_raw_store_exits_2(tmp_path):
    result = run(["build"], tmp_env(tmp_path))
    assert result.returncode == 2
    assert "outcomes demo" in result.stderr


def test_validate_reports_file_and_line_and_exits_1(tmp_path):
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql)
    (sql / "metrics" / "accuracy.sql").write_text(
        (ROOT / "sql" / "metrics" / "accuracy.sql")
        .read_text()
        .replace("kind: model", "kind: modle")
    )
    result = run(["validate"], OUTCOMES_SQL_DIR=str(sql))
    assert result.returncode == 1
    assert "accuracy.sql:" in result.stderr and "modle" in result.stderr
    assert run(["validate"]).returncode == 0


def test_demo_status_and_check_on_the_session_demo(demo_settings):
    env = {
        "OUTCOMES_WAREHOUSE_PATH": demo_settings.warehouse_path,
        "OUTCOMES_RAW_PATH": demo_settings.raw_path,
        "OUTCOMES_STATE_PATH": demo_settings.state_path,
    }
    status = run(["status"], env)
    assert status.returncode == 0, status.stderr
    assert "quarantine by table and rule" in status.stdout and "duplicate_key" in status.stdout
    check = run(["check", "--week", "2026-06-22"], env)
    assert check.returncode == 1, check.stdout + check.stderr  # the drift/accuracy weeks alert
    assert "ALERT accuracy" in check.stdout


def test_incremental_build_reuses_the_snapshot_and_says_so(demo_root, tmp_path):
    copy_raw_store(demo_root / "raw.duckdb", tmp_path / "raw.duckdb")
    env = tmp_env(tmp_path)
    # the base built by the CLI too, on the real clock as the incremental build is (the
    # session's demo snapshot is built on the suite's fixed clock: another calendar)
    base = run(["build"], env)
    assert base.returncode == 0, base.stdout + base.stderr
    result = run(["build", "--incremental"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("objects reused"))
    counts = dict(
        (label.strip().rsplit(" ", 1)[0], int(label.strip().rsplit(" ", 1)[1]))
        for label in line.strip().removeprefix("objects ").split(",")
    )
    # nothing new was loaded: everything is reused but what reads the build time or the state store
    assert counts["reused"] > 40 and counts["reused"] > counts["in full"]
    full = run(["build"], env)
    assert full.returncode == 0 and "objects reused" not in full.stdout
