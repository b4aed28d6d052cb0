"""benchmarks/storage.py: bytes per event by file group and by table (issue 18's baseline)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench  # noqa: E402
import storage  # noqa: E402


def _folder(tmp_path: Path) -> Path:
    """A benchmark folder: source files, a raw store (catalog and schema both named raw, as
    the product's), a snapshot and a working copy of the raw store."""
    (tmp_path / "source" / "ai_events").mkdir(parents=True)
    (tmp_path / "source" / "ai_events" / "part-1.parquet").write_bytes(b"s" * 40_000)
    con = duckdb.connect(str(tmp_path / "raw.duckdb"))
    con.execute("create schema raw")
    con.execute("create table raw.raw.ai_events as select range::varchar as id from range(200000)")
    con.close()
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("create schema staging_data")
    con.execute("create table staging_data.small as select 1 as x")
    con.execute("create table main.big as select range as x, hash(range) as h from range(400000)")
    con.close()
    (tmp_path / "raw-work.duckdb").write_bytes(b"w" * 100_000)
    # a reader's hard link to the current snapshot is the same bytes; one to an earlier build
    # holds that build's bytes until the reader moves on
    readers = tmp_path / ".warehouse.duckdb.readers"
    readers.mkdir()
    (readers / "current.duckdb").hardlink_to(tmp_path / "warehouse.duckdb")
    (readers / "earlier.duckdb").write_bytes(b"e" * 30_000)
    return tmp_path


def test_the_product_files_count_per_event_and_the_benchmark_copies_apart(tmp_path):
    data = _folder(tmp_path)
    report = storage.storage_report(data, events=1_000)
    size = {n: (data / n).stat().st_size for n in ("raw.duckdb", "warehouse.duckdb")}
    assert report["files"]["source"] == 40_000
    assert report["files"]["raw store"] == size["raw.duckdb"]
    assert report["files"]["snapshot"] == size["warehouse.duckdb"]
    assert report["files"]["benchmark copies"] == 100_000
    assert report["files"]["earlier snapshots held by readers"] == 30_000
    product = 40_000 + size["raw.duckdb"] + size["warehouse.duckdb"]
    assert report["bytes_per_event"] == product / 1_000
    assert report["bytes_per_event_all"] == (product + 100_000 + 30_000) / 1_000


def test_each_duckdb_file_is_broken_down_by_table_largest_first(tmp_path):
    report = storage.storage_report(_folder(tmp_path), events=1_000)
    raw = report["tables"]["raw store"]
    assert [t["table"] for t in raw] == ["raw.ai_events"]  # the catalog named raw is no trouble
    assert raw[0]["rows"] == 200_000 and raw[0]["bytes"] > 0
    snapshot = report["tables"]["snapshot"]
    assert [t["table"] for t in snapshot] == ["main.big", "staging_data.small"]
    assert snapshot[0]["bytes"] > snapshot[1]["bytes"]
    assert sum(t["bytes"] for t in snapshot) <= report["files"]["snapshot"]


def test_the_report_shows_bytes_per_event_against_half_of_1650(tmp_path, monkeypatch):
    data = _folder(tmp_path / "data")
    monkeypatch.setattr(bench, "HERE", tmp_path)
    steps = {"storage": {"events": 1_000, **storage.storage_report(data, 1_000)}}
    bench.write_report("small", 1_000, "2026-12-06 21:00:00", steps)
    md = (tmp_path / "results" / "latest-small.md").read_text()
    per_event = steps["storage"]["bytes_per_event"]
    met = "yes" if per_event <= 825 else "**no**"
    assert (
        f"| bytes per event on disk: source + raw store + snapshot | {bench._fmt(per_event)} | <= 825 (half of 1,650) | {met} |"
        in md
    )
    assert "| raw store: table | rows | MB | bytes per event |" in md
    assert "| raw.ai_events | 200,000 |" in md


def test_a_snapshots_staging_parts_count_as_the_snapshot_by_object(tmp_path):
    data = _folder(tmp_path)
    part = data / "warehouse.parts" / "B1" / "ai_features-0.parquet"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"p" * 50_000)
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    con.execute(
        "create table main.staging_parts (object varchar, seq integer, path varchar, "
        "rows bigint, bytes bigint, replaced_rows bigint)"
    )
    con.execute("insert into main.staging_parts values ('ai_features', 0, 'B1/x', 7, 50000, 0)")
    con.close()
    report = storage.storage_report(data, events=1_000)
    assert report["files"]["snapshot"] == (data / "warehouse.duckdb").stat().st_size + 50_000
    rows = {t["table"]: (t["rows"], t["bytes"]) for t in report["tables"]["snapshot"]}
    assert rows["parts:ai_features"] == (7, 50_000)
