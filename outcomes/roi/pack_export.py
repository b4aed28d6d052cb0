"""Export the audit pack of one ROI period: a zip finance can check without Outcomes.

``export_pack`` writes, in sorted order with fixed timestamps (the same inputs give the same
bytes):

- ``ledger.csv``: one row per line and week, exact decimal amounts (10 places) and a cents
  display column; sorted by week then line, LF line ends, fixed column order;
- ``lines.csv``: every line's formula and every input with its value, unit and source;
- ``assumptions.csv``: the register in force, every loaded version, and the changes recorded
  in the state store (who, why, when);
- ``sql/<schema>/<name>.sql``: the ROI and metric SQL the ledger's inputs come from, and what
  they read;
- ``metric_inputs.csv``: the weekly metric values (every dimension, and the metric's other
  columns as JSON in ``extras``) of the metrics the ledger uses;
- ``inputs/*.csv``: the rows the cost, inference and amortisation lines read, for the
  period's weeks (:mod:`outcomes.roi.pack_inputs`), so verify re-executes every line;
- ``ledger.xlsx``: the same ledger with live formulas (:mod:`outcomes.roi.xlsx_ledger`);
- ``manifest.json``: build id, period, sha256 of every other file, the canonical ledger hash
  (the same one a period close stores) and the totals;
- ``README.md``: how to verify and reproduce it.

:func:`outcomes.roi.pack_verify.verify_pack` checks a pack; :mod:`outcomes.roi.pack_readme`
writes its README.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from outcomes.config import Settings
from outcomes.core.blueprints import definition_bytes
from outcomes.core.csv_cells import csv_bytes
from outcomes.core.periods import CLOSABLE, parse_period
from outcomes.roi.assumptions import VERSION_COLUMNS
from outcomes.roi.close import CloseError, build_manifest, closed_periods, period_rows
from outcomes.roi.fetch import fetch_records
from outcomes.roi.ledger import (
    INPUT_FIELDS,
    LEDGER_COLUMNS,
    LedgerRow,
    amount_text,
    cents,
    ledger_sha256,
    sort_rows,
)
from outcomes.roi.pack_inputs import pack_inputs
from outcomes.roi.pack_readme import readme
from outcomes.roi.pack_signing import SIGNATURE_FILE, ensure_key, sign_manifest
from outcomes.roi.totals import ledger_totals
from outcomes.roi.xlsx_ledger import period_workbook_bytes
from outcomes.store.state import StateStore

# /2: the ledger per AI system (issue 15: ledger.csv and lines.csv carry system, inputs/ per system)
PACK_FORMAT = "outcomes-audit-pack/2"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
# The ledger's columns without the inputs (they are in lines.csv), and a cents column.
LEDGER_CSV_COLUMNS = (*LEDGER_COLUMNS[:7], "amount", "amount_display", "currency")
LINES_CSV_COLUMNS = ("week_start", "system", "line_id", "formula", "input_index", *INPUT_FIELDS)
ASSUMPTION_COLUMNS = (
    "record",
    *VERSION_COLUMNS,
    "load_id",
    "old_value",
    "changed_by",
    "why",
    "recorded_at",
    "system",  # a register or loaded version's system (empty: company-wide)
    "low",
    "high",
)
METRIC_COLUMNS = (
    "metric",
    "week_start",
    "dimensions",
    "value",
    "numerator",
    "denominator",
    "flag",
    "extras",  # the metric's other columns (JSON): what a column-qualified input reads
)
SCHEMA_OF_KIND = {"staging": "staging", "metric": "metrics", "roi": "roi"}


def export_pack(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    out: Path,
    *,
    store: StateStore | None = None,
) -> Path:
    """Write the audit pack of ``period`` (``YYYY-MM`` or ``YYYY-Qn``) to ``out``; return it."""
    p = parse_period(period, forms=CLOSABLE)
    rows = period_rows(con, p)
    if not rows:
        raise CloseError(f"no ROI ledger rows with week_start in {p.label} ({p.start} .. {p.end})")
    store = store or StateStore(settings.state_path)
    build = build_manifest(con, rows)
    files: dict[str, bytes] = {
        "ledger.csv": pack_ledger_csv(rows),
        "lines.csv": lines_csv(rows),
        "assumptions.csv": _assumptions_csv(con, store),
        "metric_inputs.csv": _metric_inputs_csv(con, rows, p.start, p.end),
    }
    sql_files, sql_notes = _sql_files(build["objects"], rows, settings)
    files.update(sql_files)
    # what the cost, inference and amortisation lines read, for the replay
    roi_sql = {n: d for n, d in sql_files.items() if n.startswith("sql/roi/")}
    files.update(pack_inputs(con, p.start, p.end, roi_sql))
    files["ledger.xlsx"] = period_workbook_bytes(con, p.start, p.end, p.label)
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
                "provisional": close.provisional,  # an explicit provisional close
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
    files["README.md"] = readme(manifest, sorted(files)).encode()
    manifest["files"] = [
        {"path": name, "sha256": _sha(data), "bytes": len(data)}
        for name, data in sorted(files.items())
    ]
    files["manifest.json"] = (json.dumps(manifest, sort_keys=True, indent=2) + "\n").encode()
    if closure is not None:  # a closed period's pack is signed (outcomes.roi.pack_signing)
        files[SIGNATURE_FILE] = sign_manifest(ensure_key(settings), files["manifest.json"])
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


def pack_ledger_csv(rows: Sequence[LedgerRow]) -> bytes:
    """The canonical ledger CSV: sorted, exact decimal text, LF, fixed columns."""
    return _csv(
        LEDGER_CSV_COLUMNS,
        (
            [
                r.week_start.isoformat(),
                r.system,
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
            [r.week_start.isoformat(), r.system, r.line_id, r.formula, str(k)]
            + [v or "" for v in i.as_dict().values()]
            for r in sort_rows(rows)
            for k, i in enumerate(r.inputs, start=1)
        ),
    )


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return csv_bytes(header, rows)  # formula-like cells neutralised (outcomes.core.csv_cells)


def _assumptions_csv(con: duckdb.DuckDBPyConnection, store: StateStore) -> bytes:
    """The register in force, every loaded version and the recorded changes, one row each."""
    out: list[list[Any]] = []
    register = fetch_records(
        con,
        "select key, system, effective_from, effective_to, value::varchar as value, unit, owner, "
        "source, note, load_id, low::varchar as low, high::varchar as high "
        "from staging.assumptions",
    )
    for r in register:
        out.append(_assumption_row("register", r, effective_to=_iso(r["effective_to"])))
    loaded = fetch_records(
        con,
        "select a.key, a.system, a.effective_from, a.value::varchar as value, a.unit, a.owner, "
        "a.source, a.note, a._load_id as load_id, l.started_at, a.low::varchar as low, "
        "a.high::varchar as high from raw.assumptions a "
        "left join raw.loads l on l.load_id = a._load_id",
    )
    for r in loaded:
        out.append(_assumption_row("loaded_version", r, recorded_at=_iso(r["started_at"])))
    for c in store.assumption_changes():
        change = {
            "record": "change",
            "key": c.key,
            "effective_from": c.effective_from.isoformat(),
            "value": str(c.new_value),
            "unit": c.unit,
            "old_value": None if c.old_value is None else str(c.old_value),
            "changed_by": c.author,
            "why": c.why,
            "recorded_at": c.created_at.isoformat(),
            "system": c.system,
        }
        out.append([change.get(k) for k in ASSUMPTION_COLUMNS])
    out.sort(
        key=lambda r: tuple(
            "" if v is None else str(v) for v in r[:3] + r[14:15] + r[9:10] + r[13:14]
        )
    )
    return _csv(ASSUMPTION_COLUMNS, out)


def _assumption_row(record: str, r: dict[str, Any], **more: str | None) -> list[Any]:
    """A register or loaded version as an ``assumptions.csv`` row."""
    row = {
        "record": record,
        "key": r["key"],
        "effective_from": _iso(r["effective_from"]),
        "value": _dec(r["value"]),
        **{k: r.get(k) for k in ("unit", "owner", "source", "note", "load_id", "system")},
        "low": _dec(r.get("low")),
        "high": _dec(r.get("high")),
        **more,
    }
    return [row.get(k) for k in ASSUMPTION_COLUMNS]


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
                    "select metric, week_start, dimensions, value, numerator, denominator, flag, "
                    "extras from main.metric_values where metric in (select unnest(?)) "
                    "and week_start between ? and ? order by metric, week_start, dimensions",
                    [metrics, start, end],
                ).fetchall()
            ]
        except duckdb.CatalogException:
            found = []
    return _csv(
        METRIC_COLUMNS,
        (
            [m, _iso(w), d, _float(v), _float(n), _float(dn), f, x]
            for m, w, d, v, n, dn, f, x in found
        ),
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
            data = definition_bytes(source, name)  # a family's metric: its rendered text
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


def _metric_name(ref: str) -> str:
    """The metric an input reads, without a column (``metrics.hours_saved.actual_minutes``).

    >>> _metric_name("metrics.hours_saved.actual_minutes[a]"), _metric_name("metrics.error_rate[a]")
    ('hours_saved', 'error_rate')
    """
    return ref.removeprefix("metrics.").split("[", 1)[0].split(".", 1)[0]


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
