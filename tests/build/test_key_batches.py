"""A large key_local staging table built in key-range batches equals the one-run build.

At 100M events one run of staging.ai_features spilled more than 41 GB (docs/DECISIONS.md,
issue 18). Here the batch size is made tiny so the demo's keyed staging tables are built in
many batches, and every table of the snapshot is compared with a build in one run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from outcomes.build import key_batches
from outcomes.build.full import build_snapshot
from tests.build.test_incremental import _rows, _tables, same_rows
from tests.conftest import BUILD_AS_OF, settings_for


def test_batches_by_key_range_build_the_same_snapshot(demo_root: Path, tmp_path: Path, monkeypatch):
    shutil.copy(demo_root / "raw.duckdb", tmp_path / "raw.duckdb")
    shutil.copytree(demo_root / "raw.segments", tmp_path / "raw.segments")
    one = settings_for(tmp_path, build_as_of=BUILD_AS_OF)
    whole = build_snapshot(one)
    assert whole.ok
    ranges: dict[str, int] = {}
    real = key_batches.batch_bodies

    def counted(con, d, r):
        ranges[d.name] = len(r)
        return real(con, d, r)

    monkeypatch.setattr(key_batches, "ROWS_PER_BATCH", 5_000)
    monkeypatch.setattr("outcomes.build.materialise.batch_bodies", counted)
    batched_settings = one.model_copy(update={"warehouse_path": tmp_path / "batched.duckdb"})
    batched = build_snapshot(batched_settings)
    assert batched.ok
    # the demo's large keyed tables: many ranges each
    assert ranges.get("ai_features", 0) > 5 and ranges.get("work_items", 0) > 2, ranges
    assert whole.object("staging.ai_features").rows == batched.object("staging.ai_features").rows
    # each range is a part of its own (outcomes.store.parts)
    parts = dict(
        _rows(
            batched_settings.warehouse_path,
            "select object, count(*) from main.staging_parts group by 1",
        )
    )
    assert parts["ai_features"] == ranges["ai_features"], parts
    a, b = _tables(one.warehouse_path), _tables(batched_settings.warehouse_path)
    assert a.keys() == b.keys()
    assert [n for n in a if not same_rows(a[n], b[n])] == []


def test_small_inputs_are_built_in_one_run(demo_root: Path, tmp_path: Path, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(
        "outcomes.build.materialise.batch_bodies",
        lambda con, d, r: calls.append(d.name),
    )
    shutil.copy(demo_root / "raw.duckdb", tmp_path / "raw.duckdb")
    shutil.copytree(demo_root / "raw.segments", tmp_path / "raw.segments")
    assert build_snapshot(settings_for(tmp_path, build_as_of=BUILD_AS_OF)).ok
    assert calls == []  # the demo's inputs are far below ROWS_PER_BATCH


def test_every_key_falls_in_exactly_one_range():
    import duckdb

    con = duckdb.connect()
    keys = ["E1", "E5", "E50", "E8", "E9", "E99", None]
    con.execute("create table t (k varchar)")
    con.executemany("insert into t values (?)", [[k] for k in keys])
    counts = [
        con.execute(f"select count(*) from t where {key_batches._in('k', a, b)}").fetchall()[0][0]
        for a, b in [(None, "E5"), ("E5", "E9"), ("E9", None)]
    ]
    assert sum(counts) == len(keys) and counts == [2, 3, 2]
