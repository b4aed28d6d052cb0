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
LOAD_ORDER = ("assumptions", "users", "costs", "incidents", "work_items", "ai_events",
              "ai_features", "feedback")


def settings_for(data: Path, **overrides):
    from metrics.settings import get_settings

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
    from metrics.demo import generate_demo

    t = time.perf_counter()
    s = generate_demo(data / "source", seed=SEED, events=int(events), end=END, fmt="parquet")
    (data / "source" / "GENERATED").write_text(json.dumps({"events": int(events), "rows": s.rows}))
    return {"seconds": time.perf_counter() - t, "rows": s.rows}


def step_ingest(data: Path) -> dict:
    from metrics.ingest import ingest_path

    s = settings_for(data)
    for p in (s.raw_path, Path(f"{s.raw_path}.wal")):
        p.unlink(missing_ok=True)
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


def main() -> None:
    step, data, *args = sys.argv[1:]
    result = globals()[f"step_{step}"](Path(data), *args)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
