"""One benchmark step per process: ``python benchmarks/steps.py <step> <data dir> [args]``.

The runner (``benchmarks/bench.py``) starts each step as a child process and reads its wall
time and peak RSS from ``os.wait4``; the step prints one JSON object (its own figures) as the
last line of its stdout.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

END = date(2026, 3, 4)  # fixed end: byte-identical demo files from one run to the next
SEED = 7


def settings_for(data: Path, **overrides):
    from outcomes.config import get_settings

    return get_settings(
        raw_path=data / "raw.duckdb",
        warehouse_path=data / "warehouse.duckdb",
        state_path=data / "state.sqlite",
        demo_dir=data / "source",
        **overrides,
    )


def source_path(data: Path, table: str) -> Path:
    src = data / "source"
    for candidate in (src / table, src / f"{table}.csv", src / f"{table}.jsonl"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no source for {table} under {src}")


def step_generate(data: Path, events: str) -> dict:
    from outcomes.ingest.demo import generate_demo

    t = time.perf_counter()
    s = generate_demo(data / "source", seed=SEED, events=int(events), end=END, fmt="parquet")
    (data / "source" / "GENERATED").write_text(json.dumps({"events": int(events), "rows": s.rows}))
    return {"seconds": time.perf_counter() - t, "rows": s.rows}


def step_split(data: Path, chunks: str = "52") -> dict:
    """The generated source as a feed delivers it: about a file per week, not per quarter.

    A load is one file in one transaction, so its scratch tables grow with the file; at 100M a
    quarter of ai_features is 400M rows (tens of GB of scratch), a week about 20M. Each table's
    rows are cut into about ``chunks`` files of consecutive rows, named in time order: a
    Parquet part by row groups (``wk-<part>-NNN.parquet``), a CSV by lines (a folder of its
    name, each file with the header). Each file is written under a temporary name and renamed
    when complete; a part or CSV goes once its files are all there, so the disk holds one copy
    and an interrupted split, run again, redoes only what it had not finished.
    """
    import pyarrow.parquet as pq

    src = data / "source"
    t = time.perf_counter()
    files = 0
    for table in ("ai_events", "ai_features"):
        parts = sorted((src / table).glob("part-*.parquet"))
        if not parts:
            continue
        total = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
        total += sum(pq.ParquetFile(p).metadata.num_rows for p in (src / table).glob("wk-*"))
        per = -(-total // int(chunks))
        for part in parts:
            for earlier in (src / table).glob(f"wk-{part.stem}-*"):  # an interrupted run's
                earlier.unlink()
            reader = pq.ParquetFile(part)
            writer, rows, k, tmp = None, 0, 0, None
            for g in range(reader.num_row_groups):
                group = reader.read_row_group(g)
                if writer is None or rows >= per:
                    if writer is not None:
                        writer.close()
                        tmp.rename(tmp.with_name(tmp.name[1:-4]))  # type: ignore[union-attr]
                    tmp = src / table / f".wk-{part.stem}-{k:03d}.parquet.tmp"
                    writer = pq.ParquetWriter(tmp, group.schema, compression="zstd")
                    k, rows, files = k + 1, 0, files + 1
                writer.write_table(group)
                rows += group.num_rows
            if writer is not None:
                writer.close()
                tmp.rename(tmp.with_name(tmp.name[1:-4]))  # type: ignore[union-attr]
            part.unlink()
    for table in ("work_items", "feedback"):
        whole = src / f"{table}.csv"
        if not whole.exists():
            continue
        if (src / table).is_dir():  # split and renamed, the CSV not yet removed
            whole.unlink()
            continue
        folder = src / f".{table}.split"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        lines = sum(1 for _ in whole.open("rb")) - 1
        per = -(-lines // int(chunks))
        with whole.open("rb") as fh:
            header = fh.readline()
            n, out = 0, None
            for i, line in enumerate(fh):
                if i % per == 0:
                    if out is not None:
                        out.close()
                    out = (folder / f"{table}-{n:03d}.csv").open("wb")
                    out.write(header)
                    n += 1
                    files += 1
                out.write(line)
            if out is not None:
                out.close()
        folder.rename(src / table)
        whole.unlink()
    return {"seconds": time.perf_counter() - t, "files": files}


def split_pending(data: Path) -> bool:
    """Is some of the source not yet cut into weekly files (:func:`step_split`)?"""
    src = data / "source"
    return any(src.glob("*/part-*.parquet")) or any(
        (src / f"{t}.csv").exists() for t in ("work_items", "feedback")
    )


def step_ingest(data: Path) -> dict:
    from outcomes.demo_pipeline import LOAD_ORDER
    from outcomes.ingest.load import ingest_path

    s = settings_for(data)
    for p in (s.raw_path, Path(f"{s.raw_path}.wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(data / "raw.segments", ignore_errors=True)  # its load files go with it
    tables = {}
    for table in LOAD_ORDER:
        t = time.perf_counter()
        results = ingest_path(source_path(data, table), table, s, loaded_by="bench")
        tables[table] = {
            "seconds": time.perf_counter() - t,
            "rows_in": sum(r.rows_in for r in results),
            "rows_quarantined": sum(r.rows_quarantined for r in results),
        }
    return {"tables": tables}


def _settings(data: Path, raw: str, warehouse: str):
    from outcomes.config import get_settings

    return get_settings(
        raw_path=data / raw,
        warehouse_path=data / warehouse,
        state_path=data / "state.sqlite",
        demo_dir=data / "source",
    )


AS_OF = __import__("datetime").datetime(2026, 3, 20, 12, 0, 0)  # after the new week


def _build(settings, incremental: bool = False) -> dict:
    from outcomes.build.full import build_snapshot

    t = time.perf_counter()
    # every build of a run sees the same as_of, so full and incremental builds can be compared
    r = build_snapshot(settings, incremental=incremental, as_of=AS_OF)
    seconds = time.perf_counter() - t
    slow = sorted(r.objects, key=lambda o: -o.duration_ms)[:8]
    return {
        "seconds": seconds,
        "status": r.status,
        "slowest": {o.qualified: round(o.duration_ms / 1000, 2) for o in slow},
        "objects": {o.qualified: round(o.duration_ms / 1000, 3) for o in r.objects},
    }


def step_prepare_raw(data: Path) -> dict:
    """raw-work.duckdb = the ingested raw store (kept pristine, so the new week can be re-added):
    its file copied, its load files hard links (never written again, so shared)."""
    from outcomes.store.segments import copy_raw_store

    t = time.perf_counter()
    copy_raw_store(data / "raw.duckdb", data / "raw-work.duckdb")
    for p in (data / "warehouse.duckdb", data / "full.duckdb"):
        p.unlink(missing_ok=True)
        parts = p.with_suffix(".parts")  # the snapshot's staging parts (outcomes.store.parts)
        if parts.is_dir():
            for f in parts.glob("*/*"):
                f.unlink()
            shutil.rmtree(parts)
    return {"seconds": time.perf_counter() - t}


def step_build_full(data: Path) -> dict:
    return _build(_settings(data, "raw-work.duckdb", "warehouse.duckdb"))


def step_ingest_new_week(data: Path) -> dict:
    """Next week's loads (a copy of the last complete demo week, 14 days later, new ids)."""
    from datetime import timedelta

    from outcomes.ingest.load import ingest_path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from newweek import TABLES as NEW_WEEK_TABLES
    from newweek import write_new_week

    last_complete = END - timedelta(days=END.weekday() + 7)
    t = time.perf_counter()
    out = data / "new-week"
    paths = {table: out / f"{table}.parquet" for table in NEW_WEEK_TABLES}
    if not all(p.exists() for p in paths.values()):  # written once, like the generated data
        paths = write_new_week(data / "source", out, last_complete)
    written = time.perf_counter() - t
    s = _settings(data, "raw-work.duckdb", "warehouse.duckdb")
    rows = 0
    t = time.perf_counter()
    for table, path in paths.items():
        rows += sum(r.rows_in for r in ingest_path(path, table, s, loaded_by="bench"))
    return {"seconds": time.perf_counter() - t, "write_seconds": written, "rows": rows}


def step_build_incremental(data: Path) -> dict:
    import duckdb

    out = _build(_settings(data, "raw-work.duckdb", "warehouse.duckdb"), incremental=True)
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        out["modes"] = dict(
            con.execute("select mode, count(*) from main.build_reuse group by 1").fetchall()
        )
    finally:
        con.close()
    return out


def step_build_verify(data: Path) -> dict:
    """A full build of the same raw store (new week included), compared with the incremental."""
    out = _build(_settings(data, "raw-work.duckdb", "full.duckdb"))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from compare import compare

    t = time.perf_counter()
    check = compare(data / "warehouse.duckdb", data / "full.duckdb")
    out["compare_seconds"] = time.perf_counter() - t
    out["different_tables"] = check["different"] + check["only_in_one"]
    out["tables_compared"] = check["tables"]
    out["identical"] = check["identical"]
    return out


def _definitions(con, names: list[str]) -> dict:
    from outcomes.core.registry import load_registry

    registry = load_registry(Path("sql"), strict=False)
    timings = {}
    for q in names:
        d = registry.definitions[q]
        t = time.perf_counter()
        con.execute(f"create or replace temp table t_{d.name} as {d.body_sql}")
        timings[q] = time.perf_counter() - t
    return timings


def _snapshot(data: Path):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import floor

    return floor.connect(data / "warehouse.duckdb", data / "raw-work.segments")


def step_drift(data: Path) -> dict:
    """The product's drift SQL alone, on the built snapshot (staging already materialised),
    with the value counts it reads (staging.feature_value_counts, counted again here)."""
    con = _snapshot(data)
    t = time.perf_counter()
    timings = _definitions(
        con,
        ["staging.feature_value_counts", "metrics.drift_numeric", "metrics.drift_categorical"],
    )
    return {"seconds": time.perf_counter() - t, "objects": timings}


def step_roi(data: Path) -> dict:
    """Every sql/roi definition alone, on the built snapshot, plus reading the ledger."""
    from outcomes.core.registry import load_registry

    registry = load_registry(Path("sql"), strict=False)
    con = _snapshot(data)
    names = [q for q in registry.order if q.startswith("roi.") and q in registry.definitions]
    t = time.perf_counter()
    timings = _definitions(con, names)
    ledger = None
    with __import__("contextlib").suppress(Exception):  # the ledger table is optional here
        ledger = len(con.execute("select * from main.roi_ledger").fetchall())
    return {"seconds": time.perf_counter() - t, "objects": timings, "ledger_rows": ledger}


def _floor_step(data: Path, name: str, check: str, per_system: bool = False) -> dict:
    con = _snapshot(data)
    import floor

    t = time.perf_counter()
    rows = floor.run_per_system(con, name) if per_system else floor.run(con, name)
    seconds = time.perf_counter() - t
    out = {"seconds": seconds, "rows": len(rows), "check": getattr(floor, check)(con, rows)}
    return {**out, "per_system": True} if per_system else out


def step_floor_rollup(data: Path) -> dict:
    return _floor_step(data, "floor_rollup", "check_rollup")


def step_floor_drift(data: Path, *how: str) -> dict:
    """The hand-written drift SQL; ``per-system``: one statement per AI system."""
    return _floor_step(data, "floor_drift", "check_drift", per_system="per-system" in how)


def step_ctas(data: Path) -> dict:
    """Plain DuckDB: create table as select * from read_parquet(ai_events) into a new file."""
    import duckdb

    target = data / "ctas.duckdb"
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    t = time.perf_counter()
    con.execute(
        f"create table ai_events as select * from read_parquet('{data / 'source' / 'ai_events'}/*.parquet')"
    )
    con.execute("checkpoint")
    seconds = time.perf_counter() - t
    rows = con.execute("select count(*) from ai_events").fetchall()[0][0]
    con.close()
    target.unlink(missing_ok=True)
    return {"seconds": seconds, "rows": rows}


def step_ingest_events(data: Path) -> dict:
    """Ingest of the ai_events Parquet files alone into a fresh raw store (validation and
    quarantine included), the ingest half of the ingest-vs-CTAS ratio."""
    from outcomes.ingest.load import ingest_path

    s = _settings(data, "raw-events.duckdb", "unused.duckdb")
    for p in (s.raw_path, Path(f"{s.raw_path}.wal")):
        p.unlink(missing_ok=True)
    t = time.perf_counter()
    results = ingest_path(source_path(data, "ai_events"), "ai_events", s, loaded_by="bench")
    seconds = time.perf_counter() - t
    s.raw_path.unlink(missing_ok=True)
    shutil.rmtree(data / "raw-events.segments", ignore_errors=True)
    return {"seconds": seconds, "rows_in": sum(r.rows_in for r in results)}


def step_render(data: Path, page: str) -> dict:
    """First and warm AppTest render of one page (server side), fresh process."""
    os.environ.update(
        OUTCOMES_WAREHOUSE_PATH=str(data / "warehouse.duckdb"),
        OUTCOMES_RAW_PATH=str(data / "raw-work.duckdb"),
        OUTCOMES_STATE_PATH=str(data / "state.sqlite"),
        OUTCOMES_DEMO_DIR=str(data / "source"),
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        # the page's own render: no warming thread computing other pages' figures beside it
        OUTCOMES_WARM_PAGES="false",
    )
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    t = time.perf_counter()
    at.run()
    if page != "app_pages/portfolio.py":  # the default page (the app opens on it)
        at.switch_page(page)
        at.run()
    first = time.perf_counter() - t
    warm = []
    for _ in range(3):
        t = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t)
    errors = [e.message for e in at.exception] + [e.value for e in at.error]
    return {"first": first, "warm": min(warm), "warm_all": warm, "errors": errors[:3]}


def step_naive_drift(data: Path) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from naive_drift import compare, naive_drift

    out, seconds = naive_drift(str(data / "warehouse.duckdb"))
    return {
        "seconds": seconds,
        "tests": len(out),
        "check": compare(str(data / "warehouse.duckdb"), out),
    }


def step_storage(data: Path) -> dict:
    """Bytes per event on disk, by file and by table (benchmarks/storage.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from storage import storage_report

    events = json.loads((data / "source" / "GENERATED").read_text())["events"]
    return {"events": events, **storage_report(data, events)}


def step_wide(data: Path) -> dict:
    """Wide table (one row per event, one column per feature) for Evidently; written once."""

    target = data / "features-wide.parquet"
    if target.exists():
        return {"seconds": 0.0, "cached": True}
    from outcomes.store.snapshot import open_file

    con = open_file(data / "warehouse.duckdb")  # with its staging parts
    features = con.execute(
        "select feature, bool_or(value_num is not null) from staging.ai_features group by 1 order by 1"
    ).fetchall()
    columns = ", ".join(
        f"max(value_num) filter (where feature = '{f}') as \"{f}\""
        if num
        else f"max(value_cat) filter (where feature = '{f}') as \"{f}\""
        for f, num in features
    )
    t = time.perf_counter()
    con.execute(
        f"copy (select week_start, {columns} from staging.ai_features group by event_id, week_start "
        f"order by week_start) to '{target}' (format parquet, row_group_size 100000)"
    )
    return {"seconds": time.perf_counter() - t, "cached": False}


def main() -> None:
    step, data, *args = sys.argv[1:]
    result = globals()[f"step_{step}"](Path(data), *args)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
