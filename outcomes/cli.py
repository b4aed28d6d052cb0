"""The ``outcomes`` command line (also ``python -m outcomes``).

Exit codes: 0 ok; 1 checks failed or metrics failed; 2 bad usage or unreadable input.

>>> parser = build_parser()
>>> parser.parse_args(["ingest", "data/demo/costs.csv", "--table", "costs"]).table
'costs'
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from outcomes.build import spark
from outcomes.commands.delivery import cmd_app, cmd_digest
from outcomes.commands.finance import cmd_assumptions, cmd_audit, cmd_roi
from outcomes.commands.pipeline import (
    cmd_build,
    cmd_check,
    cmd_demo,
    cmd_ingest,
    cmd_status,
    cmd_validate,
)
from outcomes.commands.protocol import BAD_INPUT, FAILED, UsageError, _date, _one_line
from outcomes.config import Settings, get_settings
from outcomes.errors import OutcomesError

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
    set_.add_argument(
        "--system",
        default=None,
        help="The AI system the value is for; default the company-wide value.",
    )
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
    summary.add_argument(
        "--system", default=None, help="One AI system's figures; default the company (all systems)."
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
    verify.add_argument("--public-key", help="Finance's copy of `outcomes roi public-key` (PEM).")
    roi.add_parser("public-key", help="Print the public key that signs closed periods' packs.")

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
