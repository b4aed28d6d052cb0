"""Ingest and build run under ``work_memory`` (DuckDB's memory_limit) and spill past it.

Without a limit DuckDB takes up to 80% of the machine: a 100M-event load or build could take
the memory the app serving readers needs. With it, a load larger than the limit spills its
scratch tables to ``<raw store>.tmp`` instead of growing or failing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pydantic
import pytest

from outcomes.config import Settings
from outcomes.ingest.load import ingest_path
from outcomes.store.raw import open_raw_store
from outcomes.store.snapshot import open_build_file

MIB = 1 << 20


def _limit(con: duckdb.DuckDBPyConnection) -> int:
    [(limit,)] = con.execute(
        "select value from duckdb_settings() where name = 'memory_limit'"
    ).fetchall()
    number, unit = limit.split()
    return int(float(number) * {"MiB": MIB, "GiB": 1 << 30, "TiB": 1 << 40}[unit])


def test_ingest_and_build_connections_take_the_limit(tmp_path: Path):
    s = Settings(raw_path=tmp_path / "raw.duckdb", work_memory="96MB")
    with open_raw_store(s, write=True) as con:
        assert _limit(con) == pytest.approx(96e6, rel=0.01)
    con = open_build_file(tmp_path / "build.duckdb", s)
    try:
        assert _limit(con) == pytest.approx(96e6, rel=0.01)
    finally:
        con.close()


def test_the_default_leaves_most_of_the_machine(tmp_path: Path):
    s = Settings(raw_path=tmp_path / "raw.duckdb")
    with open_raw_store(s, write=True) as con:
        # DuckDB's own default is 80% of the machine; ours is half of that
        assert _limit(con) == pytest.approx(_limit(duckdb.connect()) / 2, rel=0.02)


@pytest.mark.parametrize(
    "bad", ["lots", "40", "-1GB", "40%;drop", "8 PB", "150%", "0%", "0GB", "512KB", "60MiB"]
)
def test_a_malformed_limit_is_refused_with_the_setting_named(bad):
    with pytest.raises(pydantic.ValidationError, match="work_memory"):
        Settings(work_memory=bad)


def test_a_load_larger_than_the_limit_spills_and_loads_every_row(tmp_path: Path):
    """3M feature rows take about 120 MB of scratch tables; under 128MB (122 MiB) the load
    spills to ``raw.duckdb.tmp``. Without that folder the same load runs out of memory."""
    rows = 3_000_000
    src = tmp_path / "ai_features.parquet"
    duckdb.sql(
        f"""copy (select 'e' || (i // 4) as event_id, 'f' || (i % 4) as feature,
                        (i * 7919 % 1000) / 10.0 as value_num,
                        cast(null as varchar) as value_cat
                 from range({rows}) t(i)) to '{src}' (format parquet)"""
    )
    s = Settings(raw_path=tmp_path / "raw.duckdb", work_memory="128MB")
    [result] = ingest_path(src, "ai_features", s, loaded_by="test")
    assert result.status == "loaded", result.message
    assert result.rows_accepted + result.rows_quarantined == rows
    with open_raw_store(s, write=False) as con:
        [(n, distinct)] = con.execute(
            "select count(*), count(distinct (event_id, feature)) from raw.ai_features"
        ).fetchall()
    assert n == distinct == result.rows_accepted


@pytest.mark.parametrize("good", ["1%", "100%", " 40% ", "64MB", "8GB", "1.5GiB", "2TB"])
def test_a_workable_limit_is_taken_and_duckdb_accepts_it(good, tmp_path: Path):
    s = Settings(raw_path=tmp_path / "raw.duckdb", work_memory=good)
    with open_raw_store(s, write=True) as con:
        assert _limit(con) > 0
