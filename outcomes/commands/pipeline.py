"""Commands of the data pipeline: demo, ingest, build, validate, check, status."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import cast

from outcomes.build import spark
from outcomes.commands.protocol import FAILED, OK, UsageError, _who
from outcomes.config import Settings
from outcomes.core.progress import printer


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.demo_pipeline import run_demo

    return run_demo(
        settings,
        events=args.events,
        seed=args.seed,
        end=args.end,
        fresh=args.fresh,
        build=not args.no_build,
        loaded_by=_who(),
        progress=printer(),
    )


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.ingest.load import ingest_path
    from outcomes.ingest.load_ledger import IngestError

    try:
        results = ingest_path(
            Path(args.path), args.table, settings, loaded_by=_who(), progress=printer()
        )
    except IngestError as exc:
        raise UsageError(str(exc)) from exc
    for r in results:
        print(r.accounting_line())
    return OK


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.build.full import build_snapshot
    from outcomes.roi.assumption_versions import AssumptionsError

    try:
        result = build_snapshot(
            settings, progress=printer(), incremental=args.incremental, engine=args.engine
        )
    except AssumptionsError as exc:
        raise UsageError(f"the assumptions register is invalid, nothing was built:\n{exc}") from exc
    failed = [o for o in result.objects if o.status != "ok"]
    failed_tests = [t for t in result.tests if t.status != "pass"]
    print(f"build {result.build_id}: {result.status} -> {result.path}")
    if args.incremental:
        print(f"  {_reuse_summary(settings, result.build_id)}")
    for o in failed:
        print(f"  {o.status:<8} {o.kind} {o.name}: {o.error}")
    for t in failed_tests:
        print(f"  test {t.status:<5} {t.name} {t.test}: {t.message}")
    # a failing header test fails the build's exit code too (like `dbt build`), the snapshot
    # is still swapped in so the failure can be inspected
    return OK if result.status == "ok" and not failed_tests else FAILED


def _reuse_summary(settings: Settings, build_id: str) -> str:
    """'reused N, recomputed by key N, by week N, in full N' from build ``build_id``'s
    build_reuse (none when another build has been swapped in since)."""
    import duckdb

    from outcomes.store.snapshot import fetch_snapshot

    try:
        rows = fetch_snapshot(
            settings,
            "select mode, count(*) from main.build_reuse where build_id = ? group by mode",
            [build_id],
        )
    except duckdb.Error:
        return "what was reused is unknown (no main.build_reuse in the snapshot)"
    if not rows:
        return "what was reused is unknown (another build has been swapped in since)"
    counts = dict(cast("list[tuple[str, int]]", rows))  # (mode, count(*)) pairs
    labels = (
        ("reused", "reused"),
        ("keys", "recomputed by key"),
        ("weeks", "by week"),
        ("full", "in full"),
    )
    return "objects " + ", ".join(f"{text} {counts.get(mode, 0)}" for mode, text in labels)


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.core.registry import RegistryError, load_registry

    try:
        registry = load_registry(settings.sql_dir)
    except RegistryError as exc:
        print(str(exc), file=sys.stderr)
        return FAILED
    if args.portable and (problems := spark.unportable_lines(registry, settings)):
        print("\n".join(problems), file=sys.stderr)
        return FAILED
    counts = ", ".join(f"{len(v)} {k}" for k, v in registry.by_schema().items())
    print(
        f"{settings.sql_dir}: valid ({counts}); build order: {' -> '.join(registry.order_names())}"
    )
    return OK


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.build.alerts import CheckWeekError, run_checks

    try:
        report = run_checks(settings, week=args.week)
    except CheckWeekError as exc:
        raise UsageError(str(exc)) from exc
    print(report.render())
    return FAILED if report.alerts_fired else OK


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.status import render_status

    print(render_status(settings))
    return OK
