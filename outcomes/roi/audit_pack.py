"""The audit pack of one ROI period: a zip finance can check without Outcomes.

``export_pack`` writes, in sorted order with fixed timestamps (the same inputs give the same
bytes):

- ``ledger.csv``: one row per line and week, exact decimal amounts (10 places) and a cents
  display column; sorted by week then line, LF line ends, fixed column order;
- ``lines.csv``: every line's formula and every input with its value, unit and source;
- ``assumptions.csv``: the register in force, every loaded version, and the changes recorded
  in the state store (who, why, when);
- ``sql/<schema>/<name>.sql``: the ROI and metric SQL the ledger's inputs come from, and what
  they read;
- ``metric_inputs.csv``: the weekly metric values of the metrics the ledger uses;
- ``ledger.xlsx``: the same ledger with live formulas (:mod:`outcomes.roi.xlsx_ledger`);
- ``manifest.json``: build id, period, sha256 of every other file, the canonical ledger hash
  (the same one a period close stores) and the totals;
- ``README.md``: how to verify and reproduce it.

``verify_pack`` checks every file against the manifest, recomputes every line from its inputs
with :mod:`outcomes.core.formula` (exact Decimal) and the totals, and reports per line and per file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from outcomes.config import Settings
from outcomes.core.formula import Formula, FormulaError
from outcomes.errors import OutcomesError
from outcomes.roi.close import (
    INPUT_FIELDS,
    CloseError,
    LedgerInput,
    LedgerRow,
    _query,
    amount_text,
    build_manifest,
    closed_periods,
    ledger_sha256,
    ledger_totals,
    parse_period,
    read_ledger,
    sort_rows,
)
from outcomes.roi.xlsx_ledger import write_ledger_xlsx
from outcomes.store.state import StateStore

PACK_FORMAT = "outcomes-audit-pack/1"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
LEDGER_CSV_COLUMNS = (
    "week_start",
    "line_id",
    "category",
    "title",
    "formula",
    "formula_filled",
    "amount",
    "amount_display",
    "currency",
)
LINES_CSV_COLUMNS = ("week_start", "line_id", "formula", "input_index", *INPUT_FIELDS)
ASSUMPTION_COLUMNS = (
    "record",
    "key",
    "effective_from",
    "effective_to",
    "value",
    "unit",
    "owner",
    "source",
    "note",
    "load_id",
    "old_value",
    "changed_by",
    "why",
    "recorded_at",
)
METRIC_COLUMNS = ("metric", "week_start", "dimensions", "value", "numerator", "denominator", "flag")
SCHEMA_OF_KIND = {"staging": "staging", "metric": "metrics", "roi": "roi"}
CENT = Decimal("0.01")
# A stored amount is DECIMAL(38,10): it matches when it is the recomputed value rounded to
# 10 places (division results do not terminate).
TOLERANCE = Decimal("0.5E-10")


class PackError(OutcomesError, ValueError):
    """Not an audit pack: no such file, or not a zip archive."""


# -- export ----------------------------------------------------------------------------------


def export_pack(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    out: Path,
    *,
    store: StateStore | None = None,
) -> Path:
    """Write the audit pack of ``period`` (``YYYY-MM`` or ``YYYY-Qn``) to ``out``; return it."""
    p = parse_period(period)
    rows = read_ledger(con, p.start, p.end)
    if not rows:
        raise CloseError(f"no ROI ledger rows with week_start in {p.label} ({p.start} .. {p.end})")
    store = store or StateStore(settings.state_path)
    build = build_manifest(con, rows)
    files: dict[str, bytes] = {
        "ledger.csv": ledger_csv(rows),
        "lines.csv": lines_csv(rows),
        "assumptions.csv": _assumptions_csv(con, store),
        "metric_inputs.csv": _metric_inputs_csv(con, rows, p.start, p.end),
    }
    sql_files, sql_notes = _sql_files(build["objects"], rows, settings)
    files.update(sql_files)
    files["ledger.xlsx"] = _xlsx_bytes(rows, p.label)
    digest = ledger_sha256(rows)
    closure = None
    for close in closed_periods(settings, store=store):
        if close.period == p.label:
            closure = {
                "close_id": close.id,
                "closed_by": close.closed_by,
                "closed_at": close.closed_at.isoformat(),
                "build_id": close.build_id,
                "ledger_sha256": close.ledger_sha256,
                "matches_this_pack": close.ledger_sha256 == digest,
            }
    manifest = {
        "format": PACK_FORMAT,
        "period": {"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat()},
        "build_id": build["build"].get("build_id"),
        "build": build["build"],
        "currency": sorted({r.currency for r in rows}),
        "rows": len(rows),
        "ledger_sha256": digest,
        "totals": ledger_totals(rows).as_dict(),
        "assumptions_used": build["assumptions_used"],
        "loads": build.get("loads", []),
        "sql_files": sql_notes,
        "closure": closure,
    }
    files["README.md"] = _readme(manifest, sorted(files)).encode()
    manifest["files"] = [
        {"path": name, "sha256": _sha(data), "bytes": len(data)}
        for name, data in sorted(files.items())
    ]
    files["manifest.json"] = (json.dumps(manifest, sort_keys=True, indent=2) + "\n").encode()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    tmp.replace(out)
    return out


def ledger_csv(rows: Sequence[LedgerRow]) -> bytes:
    """The canonical ledger CSV: sorted, exact decimal text, LF, fixed columns."""
    return _csv(
        LEDGER_CSV_COLUMNS,
        (
            [
                r.week_start.isoformat(),
                r.line_id,
                r.category,
                r.title,
                r.formula,
                r.formula_filled,
                amount_text(r.amount),
                cents(r.amount),
                r.currency,
            ]
            for r in sort_rows(rows)
        ),
    )


def lines_csv(rows: Sequence[LedgerRow]) -> bytes:
    """One row per line, week and input: the formula and the input's value and source."""
    return _csv(
        LINES_CSV_COLUMNS,
        (
            [r.week_start.isoformat(), r.line_id, r.formula, str(k)]
            + [v or "" for v in i.as_dict().values()]
            for r in sort_rows(rows)
            for k, i in enumerate(r.inputs, start=1)
        ),
    )


def cents(amount: Decimal) -> str:
    """The display amount: rounded half up to cents.

    >>> cents(Decimal("1.005")), cents(Decimal("-2.675"))
    ('1.01', '-2.68')
    """
    return f"{Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP):f}"


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode()


def _assumptions_csv(con: duckdb.DuckDBPyConnection, store: StateStore) -> bytes:
    out: list[list[Any]] = []
    register = _query(
        con,
        "select key, effective_from, effective_to, value::varchar as value, unit, owner, source, "
        "note, load_id from staging.assumptions",
    )
    for r in register:
        out.append(
            [
                "register",
                r["key"],
                _iso(r["effective_from"]),
                _iso(r["effective_to"]),
                _dec(r["value"]),
                r["unit"],
                r["owner"],
                r["source"],
                r["note"],
                r["load_id"],
                None,
                None,
                None,
                None,
            ]
        )
    loaded = _query(
        con,
        "select a.key, a.effective_from, a.value::varchar as value, a.unit, a.owner, a.source, "
        "a.note, a._load_id as load_id, l.started_at from raw.assumptions a "
        "left join raw.loads l on l.load_id = a._load_id",
    )
    for r in loaded:
        out.append(
            [
                "loaded_version",
                r["key"],
                _iso(r["effective_from"]),
                None,
                _dec(r["value"]),
                r["unit"],
                r["owner"],
                r["source"],
                r["note"],
                r["load_id"],
                None,
                None,
                None,
                _iso(r["started_at"]),
            ]
        )
    for c in store.assumption_changes():
        out.append(
            [
                "change",
                c.key,
                c.effective_from.isoformat(),
                None,
                str(c.new_value),
                c.unit,
                None,
                None,
                None,
                None,
                None if c.old_value is None else str(c.old_value),
                c.author,
                c.why,
                c.created_at.isoformat(),
            ]
        )
    out.sort(key=lambda r: tuple("" if v is None else str(v) for v in r[:3] + r[9:10] + r[13:14]))
    return _csv(ASSUMPTION_COLUMNS, out)


def _metric_inputs_csv(
    con: duckdb.DuckDBPyConnection, rows: Sequence[LedgerRow], start: date, end: date
) -> bytes:
    metrics = sorted(
        {
            _metric_name(i.source_ref or i.name)
            for r in rows
            for i in r.inputs
            if i.source_type == "metric"
        }
    )
    found: list[list[Any]] = []
    if metrics:
        try:
            found = [
                list(r)
                for r in con.execute(
                    "select metric, week_start, dimensions, value, numerator, denominator, flag "
                    "from main.metric_values where metric in (select unnest(?)) "
                    "and week_start between ? and ? order by metric, week_start, dimensions",
                    [metrics, start, end],
                ).fetchall()
            ]
        except duckdb.CatalogException:
            found = []
    return _csv(
        METRIC_COLUMNS,
        ([m, _iso(w), d, _float(v), _float(n), _float(dn), f] for m, w, d, v, n, dn, f in found),
    )


def _sql_files(
    objects: list[dict[str, Any]], rows: Sequence[LedgerRow], settings: Settings
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """The SQL of every ROI line and metric input, plus what they read (transitively)."""
    by_q = {f"{SCHEMA_OF_KIND.get(o['kind'], o['kind'])}.{o['name']}": o for o in objects}
    wanted = {f"roi.{r.line_id}" for r in rows}
    wanted |= {
        f"metrics.{_metric_name(i.source_ref or i.name)}"
        for r in rows
        for i in r.inputs
        if i.source_type == "metric"
    }
    todo, seen = sorted(wanted), set()
    while todo:
        q = todo.pop()
        if q in seen:
            continue
        seen.add(q)
        for dep in (by_q.get(q) or {}).get("depends_on") or []:
            if dep in by_q and dep not in seen:
                todo.append(dep)
    files: dict[str, bytes] = {}
    notes: list[dict[str, Any]] = []
    for q in sorted(seen):
        schema, name = q.split(".", 1)
        obj = by_q.get(q)
        candidates = [Path(obj["path"])] if obj and obj.get("path") else []
        candidates.append(Path(settings.sql_dir) / schema / f"{name}.sql")
        source = next((c for c in candidates if c.is_file()), None)
        build_sha = obj.get("sql_sha256") if obj else None
        note: dict[str, Any] = {"object": q, "build_sql_sha256": build_sha}
        if source is None:
            note.update(
                path=None, file_sha256=None, matches_build=False, problem="SQL file not found"
            )
        else:
            data = source.read_bytes()
            entry = f"sql/{schema}/{name}.sql"
            files[entry] = data
            note.update(path=entry, file_sha256=_sha(data), matches_build=_sha(data) == build_sha)
            if not note["matches_build"]:
                note["problem"] = (
                    "the file changed since the build (or the build does not know it): "
                    "rebuild and export again to pack the SQL the figures came from"
                )
        notes.append(note)
    return files, notes


def _xlsx_bytes(rows: Sequence[LedgerRow], label: str) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.xlsx"
        write_ledger_xlsx(rows, path, label)
        return path.read_bytes()


def _readme(manifest: dict[str, Any], names: list[str]) -> str:
    p = manifest["period"]
    t = manifest["totals"]
    problems = [n for n in manifest["sql_files"] if not n.get("matches_build")]
    closure = manifest["closure"]
    lines = [
        f"# ROI audit pack {p['label']} ({p['start']} .. {p['end']})",
        "",
        f"Build `{manifest['build_id']}`, {manifest['rows']} ledger rows, currency "
        f"{', '.join(manifest['currency'])}.",
        f"Benefits {t['benefits']}, costs {t['costs']}, net {t['net']}, ROI (net / costs) {t['roi']}.",
        "",
    ]
    if closure:
        state = (
            "matches" if closure["matches_this_pack"] else "DIFFERS FROM (restated since the close)"
        )
        lines += [
            f"The period was closed by {closure['closed_by']} at {closure['closed_at']} on build "
            f"`{closure['build_id']}`; this pack's ledger {state} the closed ledger "
            f"(sha256 `{closure['ledger_sha256']}`). `outcomes roi restatements` lists the differences.",
            "",
        ]
    else:
        lines += [
            "The period is not closed: these figures may still change with a later build.",
            "",
        ]
    lines += [
        "## Files",
        "",
        "- `ledger.csv`: one row per line and week; `amount` is exact (10 decimal places),",
        "  `amount_display` is rounded half up to cents.",
        "- `lines.csv`: each line's formula and every input (value, unit, source, SQL hash, version).",
        "- `assumptions.csv`: the register in force, every loaded version, recorded changes.",
        "- `metric_inputs.csv`: the weekly values of the metrics the lines use.",
        "- `sql/`: the ROI and metric SQL files, and what they read.",
        "- `ledger.xlsx`: the same ledger; every amount, total, net, ROI, cumulative and payback",
        "  cell is a live formula over visible input cells. Spreadsheet cells are doubles, so it",
        "  recomputes to the cent; the exact decimals are in `ledger.csv`.",
        "- `manifest.json`: sha256 of every file, the canonical ledger hash, the totals.",
        "",
        "## Verify",
        "",
        "    outcomes roi verify pack.zip",
        "",
        "checks every file against `manifest.json`, recomputes every line's amount from its",
        "inputs with exact decimal arithmetic and compares it with `ledger.csv`, recomputes the",
        "totals, and exits 1 on any mismatch. Without Outcomes: `sha256sum` each file and compare",
        "with `manifest.json`; each `formula` in `ledger.csv` is plain arithmetic over the input",
        "names in `lines.csv` (`formula_filled` shows it with the numbers).",
        "",
        "## Reproduce",
        "",
        "1. Restore the raw data of the loads listed in `manifest.json` (`loads`: load id and",
        "   source file sha256) with `outcomes ingest`, and the assumptions of `assumptions.csv`.",
        "2. Put the files of `sql/` in the SQL folder (`OUTCOMES_SQL_DIR`).",
        "3. `outcomes build`, then `outcomes roi export "
        f"{p['label']} --out again.zip`: its `ledger.csv` and `ledger_sha256`",
        "   equal this pack's when the inputs are the same (the build id differs).",
        "",
    ]
    if problems:
        lines += ["## Warnings", ""]
        lines += [f"- `{n['object']}`: {n.get('problem')}" for n in problems]
        lines.append("")
    lines += ["## Contents", ""] + [f"- `{n}`" for n in names + ["manifest.json"]] + [""]
    return "\n".join(lines)


# -- verify ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileCheck:
    path: str
    status: str  # ok | modified | missing | unexpected
    expected_sha256: str | None
    actual_sha256: str | None


@dataclass(frozen=True)
class LineCheck:
    week_start: str
    line_id: str
    status: str  # match | mismatch | error
    stored: str | None
    recomputed: str | None
    message: str = ""


@dataclass(frozen=True)
class TotalCheck:
    name: str
    status: str  # match | mismatch
    manifest: str | None
    recomputed: str | None


@dataclass
class VerifyReport:
    path: Path
    period: str | None = None
    build_id: str | None = None
    files: list[FileCheck] = field(default_factory=list)
    lines: list[LineCheck] = field(default_factory=list)
    totals: list[TotalCheck] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and bool(self.lines)
            and all(f.status == "ok" for f in self.files)
            and all(c.status == "match" for c in self.lines)
            and all(t.status == "match" for t in self.totals)
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
                f"  line {c.week_start} {c.line_id}: {c.status}, stored {c.stored}, "
                f"recomputed {c.recomputed} {c.message}".rstrip()
            )
        out += [
            f"  total {t.name}: manifest {t.manifest}, recomputed {t.recomputed}"
            for t in self.totals
            if t.status != "match"
        ]
        out += [f"  error: {e}" for e in self.errors]
        out += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(out)


def verify_pack(path: Path) -> VerifyReport:
    """Check an audit pack; raises :class:`PackError` when ``path`` is not a zip archive."""
    path = Path(path)
    if not path.is_file():
        raise PackError(f"no audit pack at {path}")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise PackError(f"{path} is not a zip archive (an audit pack is a .zip): {exc}") from exc
    report = VerifyReport(path)
    with zf:
        contents = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    manifest = _load_manifest(contents, report)
    if manifest is None:
        return report
    report.period = (manifest.get("period") or {}).get("label")
    report.build_id = manifest.get("build_id")
    listed = {f["path"]: f.get("sha256") for f in manifest.get("files") or []}
    for name in sorted(listed.keys() | (contents.keys() - {"manifest.json"})):
        expected, data = listed.get(name), contents.get(name)
        actual = None if data is None else _sha(data)
        if expected is None:
            status = "unexpected"
        elif data is None:
            status = "missing"
        else:
            status = "ok" if actual == expected else "modified"
        report.files.append(FileCheck(name, status, expected, actual))
    report.warnings += [
        f"{n['object']}: {n.get('problem')}"
        for n in manifest.get("sql_files") or []
        if not n.get("matches_build")
    ]
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


def _load_manifest(contents: dict[str, bytes], report: VerifyReport) -> dict[str, Any] | None:
    data = contents.get("manifest.json")
    if data is None:
        report.errors.append("manifest.json is missing: the pack cannot be checked")
        return None
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        report.errors.append(f"manifest.json is not JSON: {exc}")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != PACK_FORMAT:
        report.errors.append(f"manifest.json is not an {PACK_FORMAT} manifest")
        return None
    return manifest


def _recompute_lines(contents: dict[str, bytes], report: VerifyReport) -> list[LedgerRow] | None:
    """Rebuild the ledger rows from ledger.csv + lines.csv, recomputing every amount."""
    try:
        ledger = _read_csv(contents, "ledger.csv", LEDGER_CSV_COLUMNS)
        inputs = _read_csv(contents, "lines.csv", LINES_CSV_COLUMNS)
    except ValueError as exc:
        report.errors.append(str(exc))
        return None
    by_line: dict[tuple[str, str], list[dict[str, str]]] = {}
    for i in inputs:
        by_line.setdefault((i["week_start"], i["line_id"]), []).append(i)
    rows: list[LedgerRow] = []
    for r in ledger:
        key = (r["week_start"], r["line_id"])
        items = sorted(by_line.pop(key, []), key=lambda i: int(i["input_index"] or 0))
        stored, recomputed, problems = r["amount"], None, []
        try:
            formula = Formula.parse(r["formula"])
            row_inputs = tuple(LedgerInput.from_mapping(i) for i in items)
            values = {i.name: Decimal(i.value) for i in row_inputs}
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
                )
            )
        except (FormulaError, InvalidOperation, ValueError, KeyError) as exc:
            report.lines.append(
                LineCheck(*key, "error", stored, recomputed, f"cannot recompute: {exc}")
            )
            continue
        status = "mismatch" if problems else "match"
        report.lines.append(LineCheck(*key, status, stored, recomputed, "; ".join(problems)))
    for week, line in sorted(by_line):
        report.lines.append(
            LineCheck(
                week, line, "error", None, None, "inputs in lines.csv for a line not in ledger.csv"
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
    return list(reader)


# -- helpers ---------------------------------------------------------------------------------


def _same_decimal(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


def _metric_name(ref: str) -> str:
    return ref.split(".", 1)[1] if ref.startswith("metrics.") else ref


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _dec(value: Any) -> str | None:
    if value is None:
        return None
    return f"{Decimal(str(value)).normalize():f}"


def _float(value: Any) -> str:
    return "" if value is None else repr(float(value))
