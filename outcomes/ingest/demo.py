"""Deterministic demo data: a company's portfolio of three AI systems over 52 weeks.

The scenario (``/work/shared/DESIGN.md``, issue 15), events split about 65 / 28 / 7 %:

- ``ticket-assistant`` (support; healthy, in production): ~126 support agents in 4 teams with
  a staggered rollout; adoption ramps from 10% to ~75% of eligible agents; a pilot of
  suggestions first, production with approvals from week 12, a little automation from week 36;
  input drift from week 30 (longer tickets, more chat, a new language, a new product area) with
  an accuracy dip, and a retrain (model v2) in week 34; rollback target recorded.
- ``invoice-matcher`` (accounts payable, 22 clerks; pilot, production from week 8): from week
  40 its inputs drift (scans, phone photos, new suppliers, CHF) and nobody fixes it, so its
  accuracy erodes week by week; its labels arrive two to six weeks late, so its last weeks are
  mostly unlabelled (performance must be estimated there) and its value at risk grows.
- ``contract-summariser`` (legal, 16 lawyers; a pilot from week 20): few use it, each contract
  costs tens of thousands of tokens, little time is saved: its costs exceed its value; no
  rollback target.

Shared across them: an inference price cut in week 26; costs per system and shared costs split
by a driver (``allocate_by``); company-wide assumptions and each system's own; the register of
systems (``systems.csv``: stage per system and date); incidents per system; and dirty rows that
ingest must quarantine (``DIRTY_RULES``, all in ticket-assistant's files).

Week numbers are 1-based: week 1 is the first of the 52 complete weeks (Monday start) before
the week containing ``end``; week 53 is that partial week, up to ``end`` (exclusive).

Everything is generated week by week with vectorised numpy, so 10M+ events never sit in memory
at once, and every random stream is seeded from ``(seed, purpose, week)``: the same seed, end
and size give byte-identical files.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     s = generate_demo(Path(d), events=2_000, end=date(2026, 3, 4))
>>> s.first_week, s.last_week, s.rows["ai_events"] >= 2_000
(datetime.date(2025, 3, 3), datetime.date(2026, 3, 2), True)
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from outcomes.ingest.demo_costs import costs_rows
from outcomes.ingest.demo_files import Sink, move_into_place, write_jsonl, write_small_csv
from outcomes.ingest.demo_population import Scenario
from outcomes.ingest.demo_reference_tables import (
    assumption_rows,
    incident_rows,
    system_rows,
    users_rows,
)
from outcomes.ingest.demo_scenario import COLUMNS, DIRTY_RULES, PARQUET_ABOVE, WEEKS
from outcomes.ingest.demo_week import generate_week

Progress = Callable[[int, float], None]


@dataclass(frozen=True)
class DemoSummary:
    """What ``generate_demo`` wrote: one ingestable path per table, rows and dirty rows."""

    out_dir: Path
    seed: int
    end: date
    first_week: date  # Monday of week 1
    last_week: date  # Monday of the partial week containing `end`
    paths: dict[str, Path]  # table -> file or part directory, for `outcomes ingest PATH --table`
    files: dict[str, list[Path]]
    rows: dict[str, int]  # rows written, dirty rows included
    dirty: dict[str, dict[str, int]]  # table -> kind -> rows (see DIRTY_RULES)
    seconds: float

    @property
    def dirty_rows(self) -> int:
        """Dirty rows written, all tables and kinds."""
        return sum(n for kinds in self.dirty.values() for n in kinds.values())

    def lines(self) -> list[str]:
        """One line per table, for the CLI."""
        out = [f"demo data {self.first_week} .. {self.end} (seed {self.seed}) in {self.out_dir}"]
        for table, path in self.paths.items():
            kinds = ", ".join(f"{k} {n}" for k, n in self.dirty.get(table, {}).items())
            out.append(
                f"  {table:<12} {self.rows[table]:>12,} rows  {path.name}"
                + (f"  dirty: {kinds}" if kinds else "")
            )
        return out


def generate_demo(
    out_dir: Path,
    seed: int = 7,
    events: int = 60_000,
    end: date | None = None,
    fmt: str = "auto",
    progress: Progress | None = None,
) -> DemoSummary:
    """Write the demo source files of every table under ``out_dir`` and summarise them.

    ``fmt``: ``auto`` (events and features as Parquet part files above 200,000 events, else
    CSV), ``csv`` or ``parquet``. ``progress(rows, rows_per_second)`` is called after each week.
    Files are written to a temporary folder and moved into place at the end; an earlier demo's
    files for the same tables are replaced.
    """
    if fmt not in ("auto", "csv", "parquet"):
        raise ValueError(f"fmt must be auto, csv or parquet, not {fmt!r}")
    if events < 1_000:
        raise ValueError(f"events must be at least 1,000 (got {events:,}): fewer leave weeks empty")
    started = time.perf_counter()
    end = end or datetime.now(UTC).date()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    big = "parquet" if fmt == "parquet" or (fmt == "auto" and events > PARQUET_ABOVE) else "csv"
    tmp = out_dir / ".demo-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()

    try:
        scenario = Scenario(seed, events, end)
        written, dirty = _write_weekly_tables(scenario, tmp, big, started, progress)
        written["users"] = write_small_csv(tmp / "users.csv", "users", users_rows(scenario))
        cost_rows, negative = costs_rows(scenario)
        dirty["costs"]["negative_amount"] = negative
        written["costs"] = write_small_csv(tmp / "costs.csv", "costs", cost_rows)
        written["incidents"] = write_jsonl(tmp / "incidents.jsonl", incident_rows(scenario))
        written["assumptions"] = write_small_csv(
            tmp / "assumptions.csv", "assumptions", assumption_rows(scenario)
        )
        written["systems"] = write_small_csv(tmp / "systems.csv", "systems", system_rows(scenario))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    paths: dict[str, Path] = {}
    files: dict[str, list[Path]] = {}
    rows: dict[str, int] = {}
    for table in COLUMNS:
        tmp_path, n = written[table]
        paths[table] = move_into_place(tmp_path, out_dir)
        files[table] = sorted(paths[table].iterdir()) if paths[table].is_dir() else [paths[table]]
        rows[table] = n
    tmp.rmdir()
    return DemoSummary(
        out_dir=out_dir,
        seed=seed,
        end=end,
        first_week=scenario.start,
        last_week=scenario.start + timedelta(weeks=WEEKS),
        paths=paths,
        files=files,
        rows=rows,
        dirty=dirty,
        seconds=time.perf_counter() - started,
    )


def _write_weekly_tables(
    scenario: Scenario, tmp: Path, big: str, started: float, progress: Progress | None
) -> tuple[dict[str, tuple[Path, int]], dict[str, dict[str, int]]]:
    """Generate week by week; a writer thread writes week w while week w + 1 is generated
    (at most one week waits, so memory stays at about two weeks of rows)."""
    sinks = {
        "ai_events": Sink(tmp, "ai_events", big),
        "ai_features": Sink(tmp, "ai_features", big),
        "feedback": Sink(tmp, "feedback", "csv"),
        "work_items": Sink(tmp, "work_items", "csv"),
    }
    dirty: dict[str, dict[str, int]] = {t: dict.fromkeys(k, 0) for t, k in DIRTY_RULES.items()}

    def write(w: int, tables: dict[str, pa.Table]) -> None:
        for name, table in tables.items():
            sinks[name].write(w, table)

    rows_done = 0
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: Future[None] | None = None
            for w in range(WEEKS + 1):
                tables, week_dirty = generate_week(scenario, w)
                if pending is not None:
                    pending.result()
                pending = pool.submit(write, w, tables)
                rows_done += sum(t.num_rows for t in tables.values())
                for table_name, kinds in week_dirty.items():
                    for kind, n in kinds.items():
                        dirty[table_name][kind] += n
                if progress is not None:
                    progress(rows_done, rows_done / max(time.perf_counter() - started, 1e-9))
            if pending is not None:
                pending.result()
    finally:
        written = {name: sink.close() for name, sink in sinks.items()}
    return written, dirty
