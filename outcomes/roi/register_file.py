"""The version-controlled register file: a CSV of assumption versions, checked row by row.

Its columns are those of the ``assumptions`` contract (key, effective_from, value, unit, owner,
source, note, low, high); every problem names the file, the row, the column and what to do.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from outcomes.core.contracts import Column, load_contract
from outcomes.roi.assumption_versions import (
    FILE_LOAD_PREFIX,
    KEY_PATTERN,
    AssumptionsError,
    Version,
    decimal_fit_problem,
)
from outcomes.roi.ledger import decimal_text

_DECIMAL_TYPE = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


def read_register_file(path: Path | str) -> list[Version]:
    """The rows of the register file, checked against the ``assumptions`` contract.

    A missing file is an empty register. Every problem names the file, the row (data rows
    count from 1; the line in the file too), the column and what to do; all are raised
    together as :class:`AssumptionsError`.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "assumptions.csv"
    >>> _ = p.write_text("key,effective_from,value,unit,owner,source\\nx,2026-01-01,abc,usd,me,plan\\n")
    >>> try:
    ...     read_register_file(p)
    ... except AssumptionsError as exc:
    ...     print(str(exc).split(": ", 1)[1])
    row 1 (line 2), column value: 'abc' is not a number; fix: write a decimal number such as 62.50
    """
    path = Path(path)
    if not path.exists():
        return []
    contract = load_contract("assumptions")
    text = path.read_bytes()
    sha = hashlib.sha256(text).hexdigest()
    load_id = f"{FILE_LOAD_PREFIX}{sha[:12]}"
    name = str(path)
    problems: list[str] = []
    try:
        decoded = text.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AssumptionsError(
            [f"{name}: not UTF-8 text (byte {exc.start}); fix: save the file as UTF-8"]
        ) from exc
    reader = csv.reader(io.StringIO(decoded, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return []
    known = list(contract.names)
    unknown = [h for h in header if h not in known]
    missing = [c.name for c in contract.columns if c.required and c.name not in header]
    for h in unknown:
        problems.append(
            f"{name}: line 1, column {h!r}: not a column of the assumptions register; "
            f"fix: rename or remove it (columns: {', '.join(known)})"
        )
    for m in missing:
        problems.append(
            f"{name}: line 1: required column {m!r} is missing; fix: add it to the header"
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    for d in dupes:
        problems.append(f"{name}: line 1, column {d!r} appears twice; fix: keep one")
    if problems:
        raise AssumptionsError(problems)
    rows: list[Version] = []
    seen: dict[tuple[str, object, dt.date], int] = {}  # (key, system, effective_from) -> row
    row_number = 0
    for record in reader:
        line = reader.line_num
        if not any(field.strip() for field in record):
            continue
        row_number += 1
        where = f"{name}: row {row_number} (line {line})"
        problems_before = len(problems)
        if len(record) != len(header):
            problems.append(
                f"{where}: {len(record)} fields, the header has {len(header)}; "
                "fix: quote values that contain commas"
            )
            continue
        raw = dict(zip(header, record, strict=True))
        values: dict[str, object] = {}
        for column in contract.columns:
            parsed, problem = _parse_field(column, raw.get(column.name, ""))
            if problem:
                problems.append(f"{where}, column {column.name}: {problem}")
            values[column.name] = parsed
        for column in contract.columns:
            if column.after is None:
                continue
            this, before = values.get(column.name), values.get(column.after)
            if this is not None and before is not None and this < before:  # type: ignore[operator]
                problems.append(
                    f"{where}, column {column.name}: {_show(this)} is below {column.after} "
                    f"{_show(before)}; fix: the range must hold low <= value <= high"
                )
        key = values.get("key")
        if isinstance(key, str) and not KEY_PATTERN.match(key):
            problems.append(
                f"{where}, column key: {key!r} is not a lowercase name (a-z, 0-9, _); "
                "fix: e.g. loaded_hourly_cost"
            )
        effective = values.get("effective_from")
        system = values.get("system")
        if isinstance(key, str) and isinstance(effective, dt.date):
            whose = f" for system {system}" if system else ""
            if (key, system, effective) in seen:
                problems.append(
                    f"{where}: {key}{whose} from {effective.isoformat()} is already on row "
                    f"{seen[(key, system, effective)]}; fix: keep one row per key, system and "
                    "effective_from (a new value from a new date is a new row)"
                )
            seen[(key, system, effective)] = row_number
        if len(problems) > problems_before:
            continue
        rows.append(
            Version(
                key=str(values["key"]),
                effective_from=values["effective_from"],  # type: ignore[arg-type]
                value=values["value"],  # type: ignore[arg-type]
                unit=values.get("unit"),  # type: ignore[arg-type]
                owner=values.get("owner"),  # type: ignore[arg-type]
                source=values.get("source"),  # type: ignore[arg-type]
                note=values.get("note"),  # type: ignore[arg-type]
                low=values.get("low"),  # type: ignore[arg-type]
                high=values.get("high"),  # type: ignore[arg-type]
                origin="file",
                load_id=load_id,
                source_file=name,
                line=line,
                system=values.get("system"),  # type: ignore[arg-type]
            )
        )
    if problems:
        raise AssumptionsError(problems)
    return rows


def _parse_field(column: Column, text: str | None) -> tuple[object, str | None]:
    """(value, problem) of one CSV field against its contract column."""
    text = (text or "").strip()
    if not text:
        if column.required:
            return None, "is empty but required; fix: fill it in"
        return None, None
    if column.type == "DATE":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return None, f"{text!r} is not a date; fix: write it as YYYY-MM-DD, e.g. 2026-01-01"
        try:
            return dt.date.fromisoformat(text), None
        except ValueError:
            return None, f"{text!r} is not a calendar date; fix: write it as YYYY-MM-DD"
    match = _DECIMAL_TYPE.match(column.type)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None, f"{text!r} is not a number; fix: write a decimal number such as 62.50"
        if not number.is_finite():
            return None, f"{text!r} is not a finite number; fix: write a decimal number"
        problem = decimal_fit_problem(number, precision, scale)
        if problem:
            return None, problem
        if column.min is not None and number < Decimal(str(column.min)):
            return None, f"{text} is below the minimum {column.min}; fix: check the value"
        if column.max is not None and number > Decimal(str(column.max)):
            return None, f"{text} is above the maximum {column.max}; fix: check the value"
        return number, None
    if column.allowed_values is not None and text not in column.allowed_values:
        return None, f"{text!r} is not one of {', '.join(column.allowed_values)}"
    return text, None


def _show(value: object) -> str:
    return decimal_text(value) if isinstance(value, Decimal) else str(value)
