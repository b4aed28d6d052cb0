"""Commands of what finance signs: the assumptions register, ROI (summary, close, restatements,
audit pack export and verify) and the audit log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from outcomes.commands.protocol import BAD_INPUT, FAILED, OK, UsageError, _who
from outcomes.config import Settings


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
                system=getattr(args, "system", None),
            )
            whose = f" for {change.system}" if change.system else ""
            print(
                f"{change.key}{whose} from {change.effective_from}: {change.old_value} -> "
                f"{change.new_value} "
                f"{change.unit} (by {change.author}: {change.why}); run `outcomes build` to apply"
            )
        elif args.action == "list":
            print(assumptions.render_register(assumptions.load_register(settings)))
        else:
            print(assumption_changes.render_history(assumption_changes.history(settings, args.key)))
    except AssumptionsError as exc:
        raise UsageError(str(exc)) from exc
    return OK


def cmd_roi(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.core.periods import PeriodError, parse_period
    from outcomes.roi import close as period_close
    from outcomes.roi import summary as roi_summary
    from outcomes.roi.line_gaps import summary_notes
    from outcomes.roi.pack_export import export_pack
    from outcomes.roi.pack_reading import PackError
    from outcomes.roi.pack_signing import SigningError, load_public_key, public_key_pem
    from outcomes.roi.pack_verify import verify_pack
    from outcomes.roi.restatements import restatements
    from outcomes.store.snapshot import open_snapshot

    if args.action == "public-key":
        try:
            print(public_key_pem(settings), end="")
        except SigningError as exc:
            raise UsageError(str(exc)) from exc
        return OK
    if args.action == "verify":
        try:
            trusted = (
                load_public_key(Path(args.public_key).read_bytes()) if args.public_key else None
            )
            inside = Path(settings.state_path).exists()  # the installation's key and closes count
            report = verify_pack(
                Path(args.pack), trusted_key=trusted, installation=settings if inside else None
            )
        except (PackError, SigningError, OSError) as exc:
            raise UsageError(str(exc)) from exc
        print(report.describe())
        return OK if report.ok else FAILED
    con = open_snapshot(settings)
    try:
        if args.action == "summary":
            start, end = parse_period(args.period).bounds if args.period else (None, None)
            system = getattr(args, "system", None)
            if system is not None:
                print(f"AI system {system}")
            print(roi_summary.summarise(con, start, end, system=system).render())
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
