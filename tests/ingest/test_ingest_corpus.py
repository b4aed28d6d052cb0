"""Physical accounting over a corpus of hostile files (tests/hostile_files.py): for every file,
the records its writer put in = accepted + quarantined + skipped (with reasons), the ledger's
line count matches the file's physical lines, and what the ledger says is what the store holds.
A file-level fault refuses the file whole, with a message, and loads nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from outcomes.config import Settings
from outcomes.ingest.load import ingest_path
from outcomes.store.raw import open_raw_store
from tests.hostile_files import CASES, Hostile


def physical_lines_after_header(path: Path) -> int | None:
    """Lines after the first one, counted from the bytes (\\r\\n, \\r or \\n ends a line)."""
    if path.suffix == ".parquet" or path.suffix == ".json":
        return None
    data = path.read_bytes()
    pieces = re.split(rb"\r\n|\r|\n", data)
    if pieces and pieces[-1] == b"":
        pieces.pop()  # the text after the last line break, when the file ends with one
    return len(pieces) - (1 if path.suffix == ".csv" else 0)


def stored(settings: Settings, load_id: str, table: str) -> tuple[int, int]:
    with open_raw_store(settings, write=False) as con:
        [(rows,)] = con.execute(
            f"select count(*) from raw.{table} where _load_id = ?", [load_id]
        ).fetchall()
        [(quarantined,)] = con.execute(
            "select count(*) from raw.quarantine where load_id = ?", [load_id]
        ).fetchall()
    return rows, quarantined


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_record_is_accounted_for(case: Hostile, tmp_path: Path):
    settings = Settings(raw_path=tmp_path / "raw.duckdb")
    path = case.write(tmp_path)
    [r] = ingest_path(path, case.table, settings, raise_on_refused=False, lock_timeout=5)
    if case.refused is not None:
        assert r.status == "refused", r
        assert case.refused in r.message and str(path) in r.message
        assert stored(settings, r.load_id, case.table) == (0, 0)
        return
    assert r.status == "loaded", r.message
    unaccounted = r.rows_in - r.rows_accepted - r.rows_quarantined - r.rows_skipped
    assert unaccounted == 0
    assert r.rows_in == case.records, r.message
    assert r.lines_in == physical_lines_after_header(path)
    assert stored(settings, r.load_id, case.table) == (r.rows_accepted, r.rows_quarantined)
    expected = (case.accepted, case.quarantined, case.skipped)
    assert (r.rows_accepted, r.rows_quarantined, r.rows_skipped) == expected, r.message
    assert bool(r.skipped_reasons) == bool(r.rows_skipped)
    with open_raw_store(settings, write=False) as con:
        lines = con.execute(
            "select line_number, reason from raw.quarantine where load_id = ?", [r.load_id]
        ).fetchall()
    for line, reason in lines:
        assert reason and reason.endswith("."), reason
        if path.suffix == ".csv":
            assert line is not None and 2 <= line <= (r.lines_in or 0) + 1
        elif path.suffix == ".jsonl":
            assert line is not None and 1 <= line <= (r.lines_in or 0)


def test_the_whole_corpus_leaves_no_row_unaccounted(tmp_path: Path):
    """All files into one store, in one request: the ledger adds up over the corpus."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    loadable = [c for c in CASES if c.refused is None and c.table == "ai_events"]
    for c in loadable:
        c.write(folder)
    settings = Settings(raw_path=tmp_path / "raw.duckdb")
    results = ingest_path(folder, "ai_events", settings, raise_on_refused=False)
    assert [r.status for r in results] == ["loaded"] * len(loadable)
    total_in = sum(r.rows_in for r in results)
    assert total_in == sum(c.records for c in loadable)
    with open_raw_store(settings, write=False) as con:
        [(accepted, quarantined, skipped, rows_in)] = con.execute(
            "select sum(rows_accepted), sum(rows_quarantined), sum(rows_skipped), sum(rows_in) "
            "from raw.loads where status = 'loaded'"
        ).fetchall()
        [(in_table,)] = con.execute("select count(*) from raw.ai_events").fetchall()
        [(in_quarantine,)] = con.execute("select count(*) from raw.quarantine").fetchall()
    assert rows_in - accepted - quarantined - skipped == 0
    assert (in_table, in_quarantine) == (accepted, quarantined)
