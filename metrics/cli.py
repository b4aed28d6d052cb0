"""The ``outcomes`` command line (also ``python -m metrics``).

Exit codes: 0 ok; 1 checks failed or metrics failed; 2 bad usage or unreadable input.

>>> parser = build_parser()
>>> parser.parse_args(["ingest", "data/demo/costs.csv", "--table", "costs"]).table
'costs'
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from metrics.progress import printer
from metrics.settings import Settings, get_settings

OK, FAILED, BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad usage or unreadable input: exit code 2."""


def _who() -> str:
    return os.environ.get("OUTCOMES_USER") or getpass.getuser()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from exc


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.demo_pipeline import run_demo

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
    from metrics.ingest import IngestError, ingest_path

    try:
        results = ingest_path(Path(args.path), args.table, settings, loaded_by=_who(), progress=printer())
    except IngestError as exc:
        raise UsageError(str(exc)) from exc
    for r in results:
        print(
            f"{r.status:<22} {r.table_name:<12} {Path(r.source_file).name}: rows in {r.rows_in:,} = "
            f"accepted {r.rows_accepted:,} + quarantined {r.rows_quarantined:,}"
            + (f" (corrections {r.rows_corrected:,})" if r.rows_corrected else "")
            + (f"; extra columns reported: {', '.join(r.extra_columns)}" if r.extra_columns else "")
        )
    return OK


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.build import build_snapshot

    result = build_snapshot(settings, progress=printer())
    failed = [o for o in result.objects if o.status != "ok"]
    failed_tests = [t for t in result.tests if t.status != "pass"]
    print(f"build {result.build_id}: {result.status} -> {result.path}")
    for o in failed:
        print(f"  {o.status:<8} {o.kind} {o.name}: {o.error}")
    for t in failed_tests:
        print(f"  test {t.status:<5} {t.name} {t.test}: {t.message}")
    # a failing header test fails the build's exit code too (like `dbt build`), the snapshot
    # is still swapped in so the failure can be inspected
    return OK if result.status == "ok" and not failed_tests else FAILED


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.registry import RegistryError, load_registry

    try:
        registry = load_registry(settings.sql_dir)
    except RegistryError as exc:
        print(str(exc), file=sys.stderr)
        return FAILED
    counts = ", ".join(f"{len(v)} {k}" for k, v in registry.by_schema().items())
    print(f"{settings.sql_dir}: valid ({counts}); build order: {' -> '.join(registry.order_names())}")
    return OK


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.checks import run_checks

    report = run_checks(settings, week=args.week)
    print(report.render())
    return FAILED if report.alerts_fired else OK


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.status import render_status

    print(render_status(settings))
    return OK


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace, Settings], int], str]] = {
    "demo": (cmd_demo, "Generate the demo source files, ingest them and build the snapshot."),
    "ingest": (cmd_ingest, "Load a CSV / Parquet / JSON-lines file or folder into a raw table."),
    "build": (cmd_build, "Build a new snapshot (staging views, metrics, tests, manifest) and swap it in."),
    "validate": (cmd_validate, "Check every SQL definition (header, single SELECT, columns, dependencies)."),
    "check": (cmd_check, "Evaluate thresholds for the last complete week (or --week) and write alerts."),
    "status": (cmd_status, "Show the load ledger, quarantine and the current snapshot."),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="outcomes",
        description="Outcomes: model health beside business outcomes, and an ROI finance can audit.",
        epilog="Exit codes: 0 ok, 1 checks or metrics failed, 2 bad usage or unreadable input.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parsers = {name: sub.add_parser(name, help=text, description=text) for name, (_, text) in COMMANDS.items()}

    demo = parsers["demo"]
    demo.add_argument("--events", type=int, default=60_000, help="AI events to generate (default 60,000).")
    demo.add_argument("--seed", type=int, default=7, help="Random seed (default 7): same seed, same files.")
    demo.add_argument("--end", type=_date, default=None, help="Last day (exclusive) of the demo, YYYY-MM-DD; default today (UTC).")
    demo.add_argument("--fresh", action="store_true", help="Delete the raw store and demo files first (regenerate + rebuild).")
    demo.add_argument("--no-build", action="store_true", help="Generate and ingest only.")

    ingest = parsers["ingest"]
    ingest.add_argument("path", help="A file (.csv, .parquet, .jsonl) or a folder of them.")
    ingest.add_argument("--table", required=True, help="Raw table to load into (see docs/DATA.md for the contracts).")

    check = parsers["check"]
    check.add_argument("--week", type=_date, default=None, help="Week start (YYYY-MM-DD); default the last complete week.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler, _ = COMMANDS[args.command]
    try:
        settings = get_settings()
        return handler(args, settings)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return FAILED
