"""A killed build's spill folder (DuckDB's ``<build file>.tmp``, past work_memory) is removed
with its build's leftovers, never while its build runs."""

from __future__ import annotations

from pathlib import Path

from outcomes.build.leftovers import claim_tmp, remove_leftovers


def _spill(folder: Path, build: str) -> Path:
    spill = folder / f".warehouse-{build}.duckdb.tmp.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 1024)
    return spill


def test_the_spill_folder_of_a_killed_build_goes_and_a_live_one_stays(tmp_path: Path):
    target = tmp_path / "warehouse.duckdb"
    live = claim_tmp(tmp_path / ".warehouse-LIVE.duckdb.tmp")
    (tmp_path / ".warehouse-LIVE.duckdb.tmp").write_bytes(b"x")
    live_spill = _spill(tmp_path, "LIVE")
    dead = tmp_path / ".warehouse-DEAD.duckdb.tmp"
    dead.write_bytes(b"x")
    dead_spill = _spill(tmp_path, "DEAD")
    orphan_spill = _spill(tmp_path, "GONE")  # its build file already removed
    removed = {p.name for p in remove_leftovers(target)}
    assert removed == {dead.name, dead_spill.name, orphan_spill.name}
    assert not dead_spill.exists() and not orphan_spill.exists()
    assert live_spill.is_dir() and (live_spill / "duckdb_temp_storage-0.tmp").exists()
    live.close()
