"""Verify an audit pack (:mod:`outcomes.roi.pack_export`) without the snapshot it came from.

:func:`verify_pack` checks every file against the manifest, recomputes every line from its
inputs with :mod:`outcomes.core.formula` (exact Decimal) and the totals, re-executes the pack's
ROI SQL over its own metric inputs and assumptions (:mod:`outcomes.roi.pack_replay`), says how
the pack compares with the closed record of its period, and reports per line and per file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from outcomes.config import Settings
from outcomes.core.csv_cells import restore_cell
from outcomes.core.formula import Formula, FormulaError
from outcomes.roi.ledger import LedgerInput, LedgerRow, amount_text, cents, ledger_sha256
from outcomes.roi.pack_authenticity import authenticity
from outcomes.roi.pack_export import LEDGER_CSV_COLUMNS, LINES_CSV_COLUMNS
from outcomes.roi.pack_reading import PackError, check_manifest, read_pack
from outcomes.roi.pack_replay import LineReplay, ReplayError, replay_pack
from outcomes.roi.pack_signing import SIGNATURE_FILE
from outcomes.roi.totals import ledger_totals

# A stored amount is DECIMAL(38,10): it matches when it is the recomputed value rounded to
# 10 places (division results do not terminate).
TOLERANCE = Decimal("0.5E-10")


@dataclass(frozen=True)
class FileCheck:
    """One file of a pack against the manifest: ok, modified, missing or unexpected."""

    path: str
    status: str  # ok | modified | missing | unexpected
    expected_sha256: str | None
    actual_sha256: str | None


@dataclass(frozen=True)
class LineCheck:
    """One ledger line of a pack recomputed from its inputs."""

    week_start: str
    line_id: str
    status: str  # match | mismatch | error
    stored: str | None
    recomputed: str | None
    message: str = ""
    system: str = ""


@dataclass(frozen=True)
class TotalCheck:
    """One total (or the ledger hash) of the manifest against its recomputation."""

    name: str
    status: str  # match | mismatch
    manifest: str | None
    recomputed: str | None


@dataclass
class VerifyReport:
    """What :func:`verify_pack` found, per file, per line and per total."""

    path: Path
    period: str | None = None
    build_id: str | None = None
    files: list[FileCheck] = field(default_factory=list)
    lines: list[LineCheck] = field(default_factory=list)
    totals: list[TotalCheck] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    replays: list[LineReplay] = field(default_factory=list)  # the pack's SQL re-executed
    closure: str | None = None  # how the pack compares with the closed record of its period
    signature: str | None = None  # signed by whom (outcomes.roi.pack_authenticity)

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and bool(self.lines)
            and all(f.status == "ok" for f in self.files)
            and all(c.status == "match" for c in self.lines)
            and all(t.status == "match" for t in self.totals)
            and all(r.status != "mismatch" for r in self.replays)
        )

    @property
    def tampered_files(self) -> list[str]:
        return [f.path for f in self.files if f.status != "ok"]

    @property
    def mismatched_lines(self) -> list[LineCheck]:
        return [c for c in self.lines if c.status != "match"]

    def describe(self) -> str:
        head = "MATCH" if self.ok else "MISMATCH"
        out = [f"{head}: {self.path} (period {self.period}, build {self.build_id})"]
        matched = sum(c.status == "match" for c in self.lines)
        out.append(f"  lines: {matched} of {len(self.lines)} recompute to the stored amount")
        out += [f"  file {f.path}: {f.status}" for f in self.files if f.status != "ok"]
        for c in self.mismatched_lines:
            out.append(
                f"  line {c.week_start} {c.system} {c.line_id}: {c.status}, stored {c.stored}, "
                f"recomputed {c.recomputed} {c.message}".rstrip()
            )
        out += [
            f"  total {t.name}: manifest {t.manifest}, recomputed {t.recomputed}"
            for t in self.totals
            if t.status != "match"
        ]
        out += [f"  SQL {r.describe()}" for r in self.replays]
        if self.closure:
            out.append(f"  close: {self.closure}")
        if self.signature:
            out.append(f"  signature: {self.signature}")
        out += [f"  error: {e}" for e in self.errors]
        out += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(out)


def verify_pack(
    path: Path,
    *,
    trusted_key: Ed25519PublicKey | None = None,
    installation: Settings | None = None,
) -> VerifyReport:
    """Check an audit pack; raises :class:`PackError` when ``path`` is not a zip archive, is
    over a limit or has a malformed manifest (:mod:`outcomes.roi.pack_reading`).

    ``trusted_key`` (finance's copy of the public key) and ``installation`` (the settings of
    the installation verify runs in) decide what the signature proves
    (:mod:`outcomes.roi.pack_authenticity`).
    """
    path = Path(path)
    contents = read_pack(path)
    report = VerifyReport(path)
    manifest = _load_manifest(contents, report)
    if manifest is None:
        return report
    report.period = (manifest.get("period") or {}).get("label")
    report.build_id = manifest.get("build_id")
    listed = {f["path"]: f.get("sha256") for f in manifest.get("files") or []}
    report.signature, errors, warnings = authenticity(contents, manifest, trusted_key, installation)
    report.errors += errors
    report.warnings += warnings
    for name in sorted(listed.keys() | (contents.keys() - {"manifest.json", SIGNATURE_FILE})):
        expected, data = listed.get(name), contents.get(name)
        actual = None if data is None else hashlib.sha256(data).hexdigest()
        if expected is None:
            status = "unexpected"
        elif data is None:
            status = "missing"
        else:
            status = "ok" if actual == expected else "modified"
        report.files.append(FileCheck(name, status, expected, actual))
    report.warnings += [
        f"{n.get('object')}: {n.get('problem')}"
        for n in manifest.get("sql_files") or []
        if not n.get("matches_build")
    ]
    report.closure = _closure_remark(manifest.get("closure"))
    try:
        report.replays = replay_pack(contents)
    except (ReplayError, ValueError, KeyError, csv.Error) as exc:
        report.errors.append(f"the pack's ROI SQL could not be re-executed: {exc}")
    rows = _recompute_lines(contents, report)
    if rows is None:
        return report
    totals = ledger_totals(rows).as_dict()
    for name in ("benefits", "costs", "net", "roi"):
        stored = (manifest.get("totals") or {}).get(name)
        same = _same_decimal(stored, totals[name])
        report.totals.append(
            TotalCheck(name, "match" if same else "mismatch", stored, totals[name])
        )
    digest = ledger_sha256(rows)
    same = digest == manifest.get("ledger_sha256")
    report.totals.append(
        TotalCheck(
            "ledger_sha256", "match" if same else "mismatch", manifest.get("ledger_sha256"), digest
        )
    )
    return report


def _closure_remark(closure: dict[str, Any] | None) -> str | None:
    """What the manifest says about the period's close: none, the same figures, or restated.

    >>> _closure_remark({"close_id": 3, "closed_by": "cfo", "closed_at": "2026-12-02",
    ...     "ledger_sha256": "ab", "matches_this_pack": False})
    'DIFFERS FROM THE CLOSED RECORD: restated since close #3 (by cfo at 2026-12-02, ledger sha256 ab); `outcomes roi restatements` lists what changed'
    """
    if not closure:
        return "the period was not closed when the pack was exported"
    head = (
        f"close #{closure.get('close_id')} (by {closure.get('closed_by')} at "
        f"{closure.get('closed_at')}, ledger sha256 {closure.get('ledger_sha256')})"
    )
    if closure.get("provisional"):
        head += ", a PROVISIONAL close"
    if closure.get("matches_this_pack"):
        return f"the same figures as {head}"
    return (
        f"DIFFERS FROM THE CLOSED RECORD: restated since {head}; "
        "`outcomes roi restatements` lists what changed"
    )


def _load_manifest(contents: dict[str, bytes], report: VerifyReport) -> dict[str, Any] | None:
    data = contents.get("manifest.json")
    if data is None:
        report.errors.append("manifest.json is missing: the pack cannot be checked")
        return None
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise PackError(f"manifest.json is not JSON: {exc}") from None
    return check_manifest(manifest)


def _recompute_lines(contents: dict[str, bytes], report: VerifyReport) -> list[LedgerRow] | None:
    """Rebuild the ledger rows from ledger.csv + lines.csv, recomputing every amount."""
    try:
        ledger = _read_csv(contents, "ledger.csv", LEDGER_CSV_COLUMNS)
        inputs = _read_csv(contents, "lines.csv", LINES_CSV_COLUMNS)
    except (ValueError, csv.Error) as exc:
        report.errors.append(str(exc))
        return None
    by_line: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for i in inputs:
        by_line.setdefault((i["week_start"], i["line_id"], i["system"]), []).append(i)
    rows: list[LedgerRow] = []
    for r in ledger:
        key = (r["week_start"], r["line_id"], r["system"])
        items = sorted(by_line.pop(key, []), key=lambda i: int(i["input_index"] or 0))
        stored, recomputed, problems = r["amount"], None, []
        try:
            formula = Formula.parse(r["formula"])
            # lines.csv writes a missing field as an empty cell
            row_inputs = tuple(
                LedgerInput.from_mapping(
                    {k: v or None for k, v in i.items() if k != "system"}
                    | {"assumption_system": i.get("assumption_system") or None}
                )
                for i in items
            )
            values = {i.name: i.decimal for i in row_inputs}
            exact = formula.evaluate(values)
            recomputed = amount_text(exact)
            amount = Decimal(stored)
            if abs(amount - exact) > TOLERANCE:
                problems.append("amount is not the formula over the inputs")
            if r["amount_display"] != cents(amount):
                problems.append(f"amount_display {r['amount_display']} is not {cents(amount)}")
            if any(i["formula"] != r["formula"] for i in items):
                problems.append("lines.csv has another formula for this line")
            rows.append(
                LedgerRow(
                    week_start=date.fromisoformat(r["week_start"]),
                    line_id=r["line_id"],
                    category=r["category"],
                    title=r["title"],
                    formula=r["formula"],
                    formula_filled=r["formula_filled"],
                    inputs=row_inputs,
                    amount=amount,
                    currency=r["currency"],
                    system=r["system"],
                )
            )
        except (FormulaError, InvalidOperation, ValueError, KeyError) as exc:
            report.lines.append(
                LineCheck(*key[:2], "error", stored, recomputed, f"cannot recompute: {exc}", key[2])
            )
            continue
        status = "mismatch" if problems else "match"
        report.lines.append(
            LineCheck(*key[:2], status, stored, recomputed, "; ".join(problems), key[2])
        )
    for week, line, system in sorted(by_line):
        report.lines.append(
            LineCheck(
                week,
                line,
                "error",
                None,
                None,
                "inputs in lines.csv for a line not in ledger.csv",
                system,
            )
        )
    return rows


def _read_csv(
    contents: dict[str, bytes], name: str, columns: Sequence[str]
) -> list[dict[str, str]]:
    data = contents.get(name)
    if data is None:
        raise ValueError(f"{name} is missing: cannot recompute the ledger")
    reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
    if tuple(reader.fieldnames or ()) != tuple(columns):
        raise ValueError(f"{name}: columns {reader.fieldnames} are not {list(columns)}")
    return [
        {k: restore_cell(v) if isinstance(v, str) else v for k, v in row.items()} for row in reader
    ]


def _same_decimal(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False
