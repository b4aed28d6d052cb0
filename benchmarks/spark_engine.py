"""Spark local[2] beside DuckDB (issue 17): ``python benchmarks/spark_engine.py --size 1m``.

Both engines build a full snapshot from the same raw store (the demo generator at that size,
under ``benchmarks/data/spark-<size>/``, generated once). Each build runs in its own process
with a time limit; the result (``benchmarks/results/spark-<size>.{json,md}``) has each build's
wall time, status and slowest definitions. A build cut off by the limit is recorded as such.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

SIZES = {"demo": 5_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
END = dt.date(2026, 11, 18)
AS_OF = dt.datetime(2026, 11, 19, 12, 0, 0)


def settings_for(data: Path, engine: str):  # noqa: ANN201 (Settings, imported late)
    from outcomes.config import Settings

    return Settings(
        warehouse_path=data / f"{engine}.duckdb",
        raw_path=data / "raw.duckdb",
        state_path=data / "state.sqlite",
        demo_dir=data / "demo",
        build_as_of=AS_OF,
    )


def build_one(data: Path, engine: str) -> None:
    """Child process: one full build, its progress lines on stdout."""
    from outcomes.build.full import build_snapshot

    result = build_snapshot(settings_for(data, engine), progress=print, engine=engine)
    print(f"RESULT {json.dumps({'status': result.status, 'seconds': result.duration})}")


def timed_build(data: Path, engine: str, limit: float) -> dict:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", engine, "--data", str(data)],
            capture_output=True,
            text=True,
            timeout=limit,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return {"engine": engine, "not_finished": f"cut off after {limit:.0f} s"}
    wall = time.perf_counter() - started
    record: dict = {"engine": engine, "wall_seconds": round(wall, 2)}
    objects = []
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            record.update(json.loads(line[len("RESULT ") :]))
        found = re.match(r"^(\w+\.\w+): (\w+)(?: on spark)? \((.*), (\d+) ms\)$", line)
        if found:
            objects.append((int(found.group(4)), found.group(1), found.group(2)))
        session = re.match(r"^spark: session on .* \(([\d.]+) s\)$", line)
        if session:
            record["session_seconds"] = float(session.group(1))
    record["slowest"] = [
        f"{name} {ms / 1000:.1f} s ({status})"
        for ms, name, status in sorted(objects, reverse=True)[:6]
    ]
    if done.returncode != 0:
        record["error"] = done.stderr.strip().splitlines()[-1:] or ["exit " + str(done.returncode)]
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=SIZES, default="1m")
    parser.add_argument("--limit", type=float, default=3600.0, help="seconds per build")
    parser.add_argument("--child", choices=("duckdb", "spark"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        build_one(args.data, args.child)
        return 0
    data = HERE / "data" / f"spark-{args.size}"
    data.mkdir(parents=True, exist_ok=True)
    events = SIZES[args.size]
    if not (data / "raw.duckdb").exists():
        from outcomes.demo_pipeline import run_demo

        print(f"generating the demo at {events:,} events in {data}")
        assert run_demo(settings_for(data, "duckdb"), events=events, end=END, build=False) == 0
    builds = [timed_build(data, engine, args.limit) for engine in ("duckdb", "spark")]
    duck, spark = builds
    both_ok = duck.get("status") == "ok" and spark.get("status") == "ok"
    ratio = round(spark["wall_seconds"] / duck["wall_seconds"], 1) if both_ok else None
    report = {
        "size": args.size,
        "events": events,
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "builds": builds,
        "spark_over_duckdb": ratio,
    }
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"spark-{args.size}.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"# Spark local[2] beside DuckDB, {events:,} events ({report['measured_at']})",
        "",
        "| engine | wall s | status | slowest definitions |",
        "|---|---|---|---|",
    ]
    for b in builds:
        status = b.get("status") or b.get("not_finished") or b.get("error")
        lines.append(
            f"| {b['engine']} | {b.get('wall_seconds', '-')} | {status} | "
            + "; ".join(b.get("slowest", []))
            + " |"
        )
    lines += ["", f"Spark / DuckDB wall time: {ratio}x" if ratio else "No ratio: a build failed."]
    (results / f"spark-{args.size}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
