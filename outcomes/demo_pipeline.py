"""``outcomes demo``: generate the demo source files, ingest them table by table, build.

The demo goes through the same ingest as anyone's data, so its dirty rows land in
quarantine and the ledger shows rows in = accepted + quarantined for every file.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

from outcomes.config import Settings

# Referenced tables first, so a reader of a half-loaded demo sees consistent data.
LOAD_ORDER = (
    "systems",
    "assumptions",
    "users",
    "costs",
    "incidents",
    "work_items",
    "ai_events",
    "ai_features",
    "feedback",
)


def remove_demo_state(settings: Settings) -> None:
    """Delete the demo files and the raw store (keeps the state store and the snapshot,
    which the next build replaces atomically)."""
    shutil.rmtree(settings.demo_dir, ignore_errors=True)
    for path in (settings.raw_path, Path(f"{settings.raw_path}.wal")):
        path.unlink(missing_ok=True)


def run_demo(
    settings: Settings,
    *,
    events: int = 60_000,
    seed: int = 7,
    end: dt.date | None = None,
    fresh: bool = False,
    build: bool = True,
    loaded_by: str | None = None,
    progress: Callable[[str], None] | None = None,
    as_of: dt.datetime | None = None,
) -> int:
    """Generate, ingest and (optionally) build; returns the CLI exit code.

    ``as_of`` fixes the build's clock (see :func:`outcomes.build.full.build_snapshot`).
    """
    from outcomes.build.full import build_snapshot
    from outcomes.ingest.demo import generate_demo
    from outcomes.ingest.load import ingest_path

    say = progress or (lambda message: None)
    if fresh or settings.raw_path.exists():
        # a demo is always loaded into an empty raw store: re-running it must not pile up
        remove_demo_state(settings)
    summary = generate_demo(
        settings.demo_dir,
        seed=seed,
        events=events,
        end=end,
        progress=lambda rows, rate: say(f"demo: {rows:,} rows generated ({rate:,.0f} rows/s)"),
    )
    for line in summary.lines():
        say(line)
    for table in LOAD_ORDER:
        ingest_path(
            summary.paths[table], table, settings, loaded_by=loaded_by or "demo", progress=say
        )
    if not build:
        return 0
    result = build_snapshot(settings, progress=say, as_of=as_of)
    if result.status == "ok":
        removed = remove_unread(settings)  # the load files of the raw store this one replaced
        if removed:
            say(f"demo: {len(removed)} load files of the previous demo removed")
    if settings.warehouse_path.exists():
        say(f"demo: {seed_reviews(settings)} weekly-review sign-offs and verdicts written")
    return 0 if result.status == "ok" else 1


def seed_reviews(settings: Settings) -> int:
    """The demo's weekly reviews in the state store (issue 15; idempotent): what the
    readiness scorecard reads for each system (:mod:`outcomes.app.demo_reviews`)."""
    from outcomes.app.demo_reviews import seed_demo_reviews
    from outcomes.store.snapshot import open_snapshot
    from outcomes.store.state import StateStore

    con = open_snapshot(settings)
    try:
        return seed_demo_reviews(con, StateStore(settings.state_path))
    finally:
        con.close()


def remove_unread(settings: Settings) -> list[Path]:
    """Delete the load files that neither the raw store nor the current snapshot lists (those of
    a raw store replaced by a new one, as ``outcomes demo`` does, once a build of the new one is
    served). A reader still on an older snapshot loses its raw rows, so call it only where that
    is expected. Returns what was removed."""
    from outcomes.store.raw import open_raw_store
    from outcomes.store.segments import listed_files, segments_root
    from outcomes.store.snapshot import SnapshotMissing, open_snapshot

    with open_raw_store(settings, write=True) as con:
        keep = set(listed_files(con, settings))
        try:
            snapshot = open_snapshot(settings)
        except SnapshotMissing:
            pass
        else:
            try:
                keep |= set(listed_files(snapshot, settings))
            finally:
                snapshot.close()
        root = segments_root(settings)
        removed = [f for f in sorted(root.glob("*/*.parquet")) if f not in keep]
        for f in removed:
            f.unlink()
    return removed
