"""The ``outcomes`` command line (also ``python -m outcomes``).

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

from outcomes.build import spark
from outcomes.config import Settings, get_settings
from outcomes.core.progress import printer
from outcomes.errors import OutcomesError

OK, FAILED, BAD_INPUT = 0, 1, 2


class UsageError(OutcomesError):
    """Bad usage or unreadable input: exit code 2."""


def _who() -> str:
    return os.environ.get("OUTCOMES_USER") or getpass.getuser()


def _one_line(exc: BaseException) -> str:
    """The first line of an error's message (a store's error can run to many lines).

    >>> _one_line(OSError(28, "No space left on device"))
    '[Errno 28] No space left on device'
    """
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[0]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from exc


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.ingest.demo_pipeline import run_demo

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
        print(f"  {_reuse_summary(settings)}")
    for o in failed:
        print(f"  {o.status:<8} {o.kind} {o.name}: {o.error}")
    for t in failed_tests:
        print(f"  test {t.status:<5} {t.name} {t.test}: {t.message}")
    # a failing header test fails the build's exit code too (like `dbt build`), the snapshot
    # is still swapped in so the failure can be inspected
    return OK if result.status == "ok" and not failed_tests else FAILED


def _reuse_summary(settings: Settings) -> str:
    """'reused N, recomputed by key N, by week N, in full N' from the snapshot's build_reuse."""
    import duckdb

    from outcomes.store.snapshot import fetch_snapshot

    try:
        rows = fetch_snapshot(settings, "select mode, count(*) from main.build_reuse group by mode")
    except duckdb.Error:
        return "what was reused is unknown (no main.build_reuse in the snapshot)"
    counts = dict(rows)
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


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.app.digest.delivery import send_and_report

    try:
        text, ok = send_and_report(settings, args.week, dry_run=args.dry_run, show=args.print)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    print(text)
    return OK if ok else FAILED


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.status import render_status

    print(render_status(settings))
    return OK


def cmd_assumptions(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.roi import assumption_changes, assumptions
    from outcomes.roi.assumption_versions import AssumptionsError

    try:
        if args.action == "set":
            change = assumption_changes.set_assumption(
                settings,
                args.key,
                args.value,
                why=args.why,
                author=_who(),
                effective_from=args.effective_from,
                unit=args.unit,
            )
            print(
                f"{change.key} from {change.effective_from}: {change.old_value} -> {change.new_value} "
                f"{change.unit} (by {change.author}: {change.why}); run `outcomes build` to apply"
            )
        elif args.action == "list":
            print(assumptions.render_register(assumptions.load_register(settings)))
        else:
            print(
                assumption_changes.render_history(assumption_changes.history(settings, args.key))
            )
    except AssumptionsError as exc:
        raise UsageError(str(exc)) from exc
    return OK


def cmd_roi(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.core.periods import PeriodError, parse_period
    from outcomes.roi import close as period_close
    from outcomes.roi import summary as roi_summary
    from outcomes.roi.line_gaps import summary_notes
    from outcomes.roi.pack_export import export_pack
    from outcomes.roi.pack_verify import PackError, verify_pack
    from outcomes.roi.restatements import restatements
    from outcomes.store.snapshot import open_snapshot

    if args.action == "verify":
        try:
            report = verify_pack(Path(args.pack))
        except PackError as exc:
            raise UsageError(str(exc)) from exc
        print(report.describe())
        return OK if report.ok else FAILED
    con = open_snapshot(settings)
    try:
        if args.action == "summary":
            start, end = parse_period(args.period).bounds if args.period else (None, None)
            print(roi_summary.summarise(con, start, end).render())
            for note in summary_notes(con, settings):
                print(note)
        elif args.action == "close":
            try:
                record = period_close.close_period(
                    con, settings, args.period, _who(), provisional=args.provisional
                )
            except PeriodError as exc:
                raise UsageError(str(exc)) from exc
            except period_close.CloseError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return FAILED
            print(
                f"closed {record.period}{record.marker} ({len(record.rows)} ledger rows, build {record.build_id}, "
                f"net {record.totals['net']}, ledger sha256 {record.ledger_sha256})"
            )
        elif args.action == "restatements":
            found = restatements(con, settings, include_unchanged=True)
            if not found:
                print("no closed periods")
            for r in found:
                print(r.describe())
            return FAILED if any(r.restated for r in found) else OK
        elif args.action == "export":
            try:
                path = export_pack(con, settings, args.period, Path(args.out))
            except (PeriodError, period_close.CloseError) as exc:
                raise UsageError(str(exc)) from exc
            print(f"audit pack for {args.period}: {path}")
    finally:
        con.close()
    return OK


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.store.state import StateStore  # opening it migrates the file

    verdict = StateStore(settings.state_path).verify_audit()
    print(verdict.line(), file=sys.stdout if verdict.ok else sys.stderr)
    return OK if verdict.ok else BAD_INPUT


def app_command(host: str, port: int) -> list[str]:
    """The ``streamlit run`` command line of the app that ships with this copy of Outcomes.

    >>> app_command("127.0.0.1", 8501)[1:4]
    ['-m', 'streamlit', 'run']
    """
    from outcomes.config import SHIPPED_DIR

    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(SHIPPED_DIR / "app.py"),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def cmd_app(args: argparse.Namespace, settings: Settings) -> int:
    command = app_command(args.host, args.port)
    os.execv(command[0], command)  # replaces this process: Streamlit owns the terminal now
    return OK  # pragma: no cover


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace, Settings], int], str]] = {
    "demo": (cmd_demo, "Generate the demo source files, ingest them and build the snapshot."),
    "ingest": (cmd_ingest, "Load a CSV / Parquet / JSON-lines file or folder into a raw table."),
    "build": (
        cmd_build,
        "Build a new snapshot (staging views, metrics, tests, manifest) and swap it in.",
    ),
    "validate": (
        cmd_validate,
        "Check every SQL definition (header, single SELECT, columns, dependencies).",
    ),
    "check": (
        cmd_check,
        "Evaluate thresholds for the last complete week (or --week) and write alerts.",
    ),
    "status": (cmd_status, "Show the load ledger, quarantine and the current snapshot."),
    "assumptions": (
        cmd_assumptions,
        "Show or change the assumptions register (changes are appended, never overwritten).",
    ),
    "roi": (cmd_roi, "ROI: summary, period close, restatements, audit pack export and verify."),
    "app": (cmd_app, "Start the dashboard (the Streamlit app that ships with this installation)."),
    "digest": (cmd_digest, "Send the week's review by email / webhook, by owner, once a week."),
    "audit": (cmd_audit, "Verify the state store's hash-chained audit log (exit 2 when broken)."),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="outcomes",
        description="Outcomes: model health beside business outcomes, and an ROI finance can audit.",
        epilog="Exit codes: 0 ok, 1 checks or metrics failed, 2 bad usage or unreadable input.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parsers = {
        name: sub.add_parser(name, help=text, description=text)
        for name, (_, text) in COMMANDS.items()
    }

    demo = parsers["demo"]
    demo.add_argument(
        "--events", type=int, default=60_000, help="AI events to generate (default 60,000)."
    )
    demo.add_argument(
        "--seed", type=int, default=7, help="Random seed (default 7): same seed, same files."
    )
    demo.add_argument(
        "--end",
        type=_date,
        default=None,
        help="Last day (exclusive) of the demo, YYYY-MM-DD; default today (UTC).",
    )
    demo.add_argument(
        "--fresh",
        action="store_true",
        help="Delete the raw store and demo files first (regenerate + rebuild).",
    )
    demo.add_argument("--no-build", action="store_true", help="Generate and ingest only.")

    build = parsers["build"]
    build.add_argument(
        "--incremental",
        action="store_true",
        help="Recompute only what new loads touched (weeks, corrected keys, changed SQL) from the "
        "current snapshot; falls back to a full build when it cannot. main.build_reuse says what was reused.",
    )
    build.add_argument("--engine", choices=spark.ENGINES, default="duckdb", help=spark.ENGINE_HELP)
    parsers["validate"].add_argument("--portable", action="store_true", help=spark.PORTABLE_HELP)

    ingest = parsers["ingest"]
    ingest.add_argument("path", help="A file (.csv, .parquet, .jsonl) or a folder of them.")
    ingest.add_argument(
        "--table",
        required=True,
        help="Raw table to load into (see docs/DATA.md for the contracts).",
    )

    actions = parsers["assumptions"].add_subparsers(dest="action", required=True, metavar="ACTION")
    set_ = actions.add_parser(
        "set",
        help="Record a new value of an assumption.",
        description="Record a new value of an assumption.",
    )
    set_.add_argument("key", help="Assumption key, e.g. loaded_hourly_cost.")
    set_.add_argument("value", help="New value, a decimal number (e.g. 66.50).")
    set_.add_argument("--why", required=True, help="Why the value changes (kept with the change).")
    set_.add_argument(
        "--effective-from",
        type=_date,
        default=None,
        help="First day it applies (YYYY-MM-DD); default today (UTC).",
    )
    set_.add_argument("--unit", default=None, help="Unit, required for a new key (e.g. USD/hour).")
    actions.add_parser(
        "list",
        help="The register in force: key, value, range, owner, source.",
        description="The register in force.",
    )
    hist = actions.add_parser(
        "history",
        help="Every change made from the CLI or the app: who, when, old, new, why.",
        description="Every recorded change.",
    )
    hist.add_argument("key", nargs="?", default=None, help="Only this key.")

    roi = parsers["roi"].add_subparsers(dest="action", required=True, metavar="ACTION")
    summary = roi.add_parser(
        "summary",
        help="Benefits, costs, net value, ROI, payback, run-rate.",
        description="ROI summary of a period.",
    )
    summary.add_argument(
        "period", nargs="?", default=None, help="YYYY-MM, YYYY-Qn, YYYY or YTD; default all weeks."
    )
    close = roi.add_parser(
        "close",
        help="Close a month or quarter: store its ledger and manifest, immutably.",
        description="Close a period.",
    )
    close.add_argument("period", help="YYYY-MM or YYYY-Qn.")
    close.add_argument(
        "--provisional",
        action="store_true",
        help="Close although a week is partial or a line provisional; marked PROVISIONAL everywhere.",
    )
    roi.add_parser(
        "restatements",
        help="Closed periods whose figures a later build changed, line by line (exit 1 when any).",
        description="Restatements of closed periods.",
    )
    export = roi.add_parser(
        "export",
        help="Write the audit pack (zip) of a period.",
        description="Write the audit pack of a period.",
    )
    export.add_argument("period", help="YYYY-MM or YYYY-Qn.")
    export.add_argument("--out", required=True, help="Path of the zip to write.")
    verify = roi.add_parser(
        "verify",
        help="Recompute an audit pack; exit 1 on any mismatch or tampering.",
        description="Verify an audit pack.",
    )
    verify.add_argument("pack", help="Path of the pack zip.")

    audit = parsers["audit"].add_subparsers(dest="action", required=True, metavar="ACTION")
    audit.add_parser("verify", help="Walk the hash chain; name the first broken link (exit 2).")

    app = parsers["app"]
    app.add_argument(
        "--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1)."
    )
    app.add_argument("--port", type=int, default=8501, help="Port (default 8501).")

    digest = parsers["digest"]
    digest.add_argument("--week", type=_date, default=None, help="Week start; default the last.")
    digest.add_argument("--dry-run", action="store_true", help="Say who would get what.")
    digest.add_argument("--print", action="store_true", help="Print the digest's plain text.")

    check = parsers["check"]
    check.add_argument(
        "--week",
        type=_date,
        default=None,
        help="Week start (YYYY-MM-DD); default the last complete week.",
    )
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
    except (OutcomesError, OSError) as exc:
        # anything else the command could not do (full disk, unreadable file...): one line
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return BAD_INPUT
    except Exception as exc:
        import duckdb

        if not isinstance(exc, duckdb.Error):
            raise
        # a store another process holds (a build or the app writing), a corrupt file
        print(f"error: the data store could not be used: {_one_line(exc)}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return FAILED
