"""benchmarks/steps.step_split: the 100M source as weekly files keeps every row and header."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import steps  # noqa: E402

from outcomes.ingest.demo import generate_demo


def _rows(src: Path) -> dict[str, int]:
    con = duckdb.connect()
    out = {}
    for table in ("ai_events", "ai_features"):
        out[table] = con.execute(
            f"select count(*) from read_parquet('{src / table}/*.parquet')"
        ).fetchone()[0]
    for table in ("work_items", "feedback"):
        where = src / f"{table}.csv" if (src / f"{table}.csv").exists() else src / table / "*.csv"
        out[table] = con.execute(
            f"select count(*) from read_csv('{where}', all_varchar = true, header = true)"
        ).fetchone()[0]
    return out


def test_split_keeps_every_row_and_leaves_one_copy(tmp_path: Path):
    generate_demo(tmp_path / "source", seed=3, events=3_000, end=date(2026, 3, 2), fmt="parquet")
    src = tmp_path / "source"
    before = _rows(src)
    quarters = len(list((src / "ai_features").glob("part-*.parquet")))
    result = steps.step_split(tmp_path, "5")
    assert _rows(src) == before
    assert not list(src.glob("*/part-*.parquet")) and not (src / "work_items.csv").exists()
    weekly = sorted((src / "ai_features").glob("wk-*.parquet"))
    assert len(weekly) > quarters  # consecutive rows, in time order by name
    con = duckdb.connect()
    weeks = [
        con.execute(
            f"select min(try_cast(event_id[2:] as bigint)), max(try_cast(event_id[2:] as bigint)) "
            f"from read_parquet('{w}')"
        ).fetchone()
        for w in weekly
    ]
    assert all(a[1] <= b[0] for a, b in zip(weeks, weeks[1:], strict=False))
    chunks = sorted((src / "work_items").glob("*.csv"))
    assert len(chunks) == 5
    header = (chunks[0].read_text().splitlines() or [""])[0]
    assert all(c.read_text().splitlines()[0] == header for c in chunks)
    assert result["files"] == len(list(src.glob("*/*.parquet"))) + len(list(src.glob("*/*.csv")))
    # a second run finds nothing to split
    assert not steps.split_pending(tmp_path)
    assert steps.step_split(tmp_path, "5")["files"] == 0
    assert _rows(src) == before


def test_an_interrupted_split_run_again_loses_and_repeats_no_row(tmp_path: Path, monkeypatch):
    generate_demo(tmp_path / "source", seed=3, events=3_000, end=date(2026, 3, 2), fmt="parquet")
    src = tmp_path / "source"
    before = _rows(src)
    import pyarrow.parquet as pq

    real = pq.ParquetWriter.write_table
    calls = []

    def dies_on_the_fourth(self, table, *args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt  # the run is killed mid-part
        return real(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", dies_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        steps.step_split(tmp_path, "5")
    monkeypatch.setattr(pq.ParquetWriter, "write_table", real)
    assert steps.split_pending(tmp_path)
    # a CSV cut halfway: its temporary folder is there, the CSV too
    (src / ".work_items.split").mkdir()
    (src / ".work_items.split" / "work_items-000.csv").write_text("item_id\nT1\n")
    steps.step_split(tmp_path, "5")
    assert not steps.split_pending(tmp_path)
    assert not list(src.glob("*/.*.tmp")) and not (src / ".work_items.split").exists()
    assert _rows(src) == before
