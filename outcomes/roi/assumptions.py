"""The assumptions register: one effective-dated list of every ROI assumption.

Three origins are merged, for one ``(key, effective_from)`` the strongest wins:

1. ``ingest`` - rows loaded into ``raw.assumptions`` with ``outcomes ingest`` (the demo does
   this); the newest load wins, as for every raw table;
2. ``file`` - the version-controlled register ``settings.assumptions_file`` (a CSV with the
   columns of the ``assumptions`` contract: key, effective_from, value, unit, owner, source,
   note, low, high); it beats an ingested row of the same key and effective_from;
3. ``cli`` - changes made with ``outcomes assumptions set`` (:func:`set_assumption`), appended
   to the state store with who, when, old value, new value and why; the latest change of a
   ``(key, effective_from)`` beats the file. A change with a new ``effective_from`` starts a
   new version; it takes unit, owner, note and the low / high range from the version in force
   before it, and its ``source`` says who changed it and why.

Nothing is overwritten: the file is versioned by git, the changes are append-only rows.

The build calls :func:`copy_register_into` right after copying the raw tables: the file rows
and the changes are appended to the snapshot's ``raw.assumptions`` under load ids
``register-file-<sha256 of the file, 12 hex>`` and ``register-cli-<change id, 8 digits>``,
and described (origin, who, when, why, file line) in ``raw.assumption_register``;
``sql/staging/assumptions.sql`` applies the precedence above, so every metric and ROI line
reads the merged register from ``staging.assumptions``.

>>> import tempfile, pathlib
>>> from outcomes.config import Settings
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "a.csv").write_text(
...     "key,effective_from,value,unit,owner,source,note,low,high\\n"
...     "loaded_hourly_cost,2026-01-01,62.50,USD/hour,fin@example.com,payroll,,50,80\\n")
>>> s = Settings(assumptions_file=root / "a.csv", raw_path=root / "raw.duckdb",
...              state_path=root / "state.sqlite")
>>> change = set_assumption(s, "loaded_hourly_cost", "70", why="pay review", author="ana",
...                         effective_from=dt.date(2026, 6, 1))
>>> (change.old_value, change.new_value)
(Decimal('62.50'), Decimal('70'))
>>> reg = load_register(s)
>>> [(r.effective_from.isoformat(), str(r.value), r.origin) for r in reg.itertuples()]
[('2026-01-01', '62.50', 'file'), ('2026-06-01', '70', 'cli')]
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pandas as pd

from outcomes.config import Settings
from outcomes.core.contracts import Column, load_contract
from outcomes.errors import OutcomesError
from outcomes.store.state import AssumptionChange, StateStore, StateValidationError

FILE_LOAD_PREFIX = "register-file-"
CLI_LOAD_PREFIX = "register-cli-"
ORIGIN_RANK = {"ingest": 0, "file": 1, "cli": 2}
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_DECIMAL_TYPE = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")

REGISTER_COLUMNS = (
    "key",
    "effective_from",
    "effective_to",
    "value",
    "unit",
    "owner",
    "source",
    "note",
    "low",
    "high",
    "origin",
    "load_id",
    "changed_by",
    "changed_at",
    "why",
)
HISTORY_COLUMNS = (
    "id",
    "key",
    "effective_from",
    "old_value",
    "new_value",
    "unit",
    "changed_by",
    "changed_at",
    "why",
)

REGISTER_TABLE_DDL = """
create or replace table raw.assumption_register (
    load_id varchar not null,
    origin varchar not null,
    key varchar not null,
    effective_from date not null,
    value decimal(18, 6) not null,
    unit varchar,
    owner varchar,
    source varchar,
    note varchar,
    low decimal(18, 6),
    high decimal(18, 6),
    old_value decimal(18, 6),
    changed_by varchar,
    changed_at timestamp,
    why varchar,
    source_file varchar,
    line bigint
)"""


class AssumptionsError(OutcomesError, ValueError):
    """The register file is invalid, or a change was refused; ``problems`` lists each one."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Version:
    """One version of one assumption (a row of the merged register)."""

    key: str
    effective_from: dt.date
    value: Decimal
    unit: str | None
    owner: str | None
    source: str | None
    note: str | None
    low: Decimal | None
    high: Decimal | None
    origin: str  # ingest | file | cli
    load_id: str
    changed_by: str | None = None
    changed_at: dt.datetime | None = None
    why: str | None = None
    old_value: Decimal | None = None
    source_file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class RegisterCopy:
    """What :func:`copy_register_into` put into a snapshot."""

    file_rows: int
    changes: int
    versions: int  # rows of the merged register

    def summary(self) -> str:
        return (
            f"assumptions register: {self.file_rows} file rows, {self.changes} CLI changes, "
            f"{self.versions} versions in force"
        )


# -- public API ------------------------------------------------------------------------------


def load_register(settings: Settings) -> pd.DataFrame:
    """The merged register (ingested rows + register file + CLI changes), by key and date.

    Columns: ``REGISTER_COLUMNS``; ``value``, ``low``, ``high`` are ``Decimal``. Raises
    :class:`AssumptionsError` naming file, row, column and the fix when the file is invalid.
    """
    return _frame(_merged(settings))


def set_assumption(
    settings: Settings,
    key: str,
    value: Decimal | int | str,
    why: str,
    author: str,
    effective_from: dt.date | None = None,
    unit: str | None = None,
) -> AssumptionChange:
    """Record a new value of ``key`` from ``effective_from`` (default: today, UTC).

    The key must exist in the register, or ``unit`` must be given (a new assumption). The value
    is a decimal (never a float) that must lie within the low / high range of the version it
    replaces or follows; a range is changed in the register file, not here. Appends one row to
    the state store (who, when, old value, new value, why); returns it.
    """
    problems: list[str] = []
    key = str(key).strip()
    if not KEY_PATTERN.match(key):
        raise AssumptionsError(
            [
                f"assumption key {key!r} is not a lowercase name (a-z, 0-9, _); fix: e.g. loaded_hourly_cost"
            ]
        )
    number = _parse_decimal_arg(value, "value")
    if not why or not str(why).strip():
        problems.append("--why is required: say why the value changes (it is kept with the change)")
    if not author or not str(author).strip():
        problems.append("author is required (set OUTCOMES_USER or log in as a named user)")
    effective = effective_from or dt.datetime.now(dt.UTC).date()
    if isinstance(effective, dt.datetime) or not isinstance(effective, dt.date):
        problems.append(f"effective_from must be a date (YYYY-MM-DD), got {effective_from!r}")
    if problems:
        raise AssumptionsError(problems)
    versions = sorted(
        (v for v in _merged(settings) if v.key == key), key=lambda v: v.effective_from
    )
    if not versions and not unit:
        known = sorted({v.key for v in _merged(settings)})
        raise AssumptionsError(
            [
                f"unknown assumption {key!r}; known keys: {', '.join(known) or 'none'}; "
                "fix: check the spelling, or give --unit to add a new assumption"
            ]
        )
    current = next((v for v in versions if v.effective_from == effective), None)
    prior = _in_force(versions, effective)
    template = current or prior or (versions[0] if versions else None)
    if template is not None and unit and template.unit and unit.strip() != template.unit:
        raise AssumptionsError(
            [
                f"{key} is in {template.unit}, not {unit.strip()}; fix: give the value in "
                f"{template.unit} (leave out --unit), or add a new key for the other unit"
            ]
        )
    final_unit = (unit or "").strip() or (template.unit if template else None) or ""
    if template is not None:
        low, high = template.low, template.high
        span = f"[{_text(low) if low is not None else '-inf'}, {_text(high) if high is not None else 'inf'}]"
        where = f"{key} (version effective {template.effective_from.isoformat()})"
        if low is not None and number < low:
            problems.append(
                f"value {_text(number)} is below the low end of the range {span} of {where}; "
                "fix: check the value, or widen the range in the register file first"
            )
        if high is not None and number > high:
            problems.append(
                f"value {_text(number)} is above the high end of the range {span} of {where}; "
                "fix: check the value, or widen the range in the register file first"
            )
    if current is not None and current.value == number:
        problems.append(
            f"{key} is already {_text(number)} from {effective.isoformat()}: nothing to change"
        )
    if problems:
        raise AssumptionsError(problems)
    old = current.value if current is not None else (prior.value if prior is not None else None)
    store = StateStore(settings.state_path)
    try:
        new_id = store.record_assumption_change(
            key, effective, old, number, final_unit, str(author).strip(), str(why).strip()
        )
    except StateValidationError as exc:
        raise AssumptionsError([str(exc)]) from exc
    return next(c for c in store.assumption_changes(key) if c.id == new_id)


def history(settings: Settings, key: str | None = None) -> pd.DataFrame:
    """Every change made with ``outcomes assumptions set`` (of one key), oldest first.

    Columns: ``HISTORY_COLUMNS`` (who = ``changed_by``, when = ``changed_at`` UTC). File edits
    are versioned by git, not here.
    """
    changes = _changes(settings)
    rows = [
        (
            c.id,
            c.key,
            c.effective_from,
            c.old_value,
            c.new_value,
            c.unit,
            c.author,
            c.created_at,
            c.why,
        )
        for c in changes
        if key is None or c.key == key
    ]
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))


def copy_register_into(con: duckdb.DuckDBPyConnection, settings: Settings) -> RegisterCopy:
    """Put the register file and the CLI changes into a snapshot being built.

    Call after the raw tables are copied and before the staging views: appends the file rows
    and the changes to ``raw.assumptions`` (load ids ``register-file-...`` /
    ``register-cli-...``) and writes ``raw.assumption_register`` (origin, who, when, why, file
    and line of each). Running it again replaces what it added. Raises
    :class:`AssumptionsError` when the register file is invalid.
    """
    con.execute("create schema if not exists raw")
    _ensure_raw_assumptions(con)
    con.execute(
        f"delete from raw.assumptions where _load_id like '{FILE_LOAD_PREFIX}%' "
        f"or _load_id like '{CLI_LOAD_PREFIX}%'"
    )
    file_rows = read_register_file(settings.assumptions_file)
    changes = _changes(settings)
    raw_rows = _raw_versions(con)
    merged, cli_rows = _merge(raw_rows, file_rows, changes)
    entries = [*file_rows, *cli_rows]
    con.execute(REGISTER_TABLE_DDL)
    if entries:
        con.executemany(
            "insert into raw.assumption_register values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    v.load_id,
                    v.origin,
                    v.key,
                    v.effective_from,
                    str(v.value),
                    v.unit,
                    v.owner,
                    v.source,
                    v.note,
                    _str_or_none(v.low),
                    _str_or_none(v.high),
                    _str_or_none(v.old_value),
                    v.changed_by,
                    v.changed_at,
                    v.why,
                    v.source_file,
                    v.line,
                ]
                for v in entries
            ],
        )
        con.executemany(
            "insert into raw.assumptions (key, effective_from, value, unit, owner, source, note, "
            "low, high, _load_id, _row_number, _row_hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    v.key,
                    v.effective_from,
                    str(v.value),
                    v.unit,
                    v.owner,
                    v.source,
                    v.note,
                    _str_or_none(v.low),
                    _str_or_none(v.high),
                    v.load_id,
                    v.line or 1,
                    _row_hash(v),
                ]
                for v in entries
            ],
        )
    return RegisterCopy(file_rows=len(file_rows), changes=len(cli_rows), versions=len(merged))


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
    seen: dict[tuple[str, dt.date], int] = {}
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
        if isinstance(key, str) and isinstance(effective, dt.date):
            if (key, effective) in seen:
                problems.append(
                    f"{where}: {key} from {effective.isoformat()} is already on row "
                    f"{seen[(key, effective)]}; fix: keep one row per key and effective_from "
                    "(a new value from a new date is a new row)"
                )
            seen[(key, effective)] = row_number
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
            )
        )
    if problems:
        raise AssumptionsError(problems)
    return rows


def render_register(frame: pd.DataFrame) -> str:
    """The register as an aligned text table (``outcomes assumptions list``)."""
    columns = [
        "key",
        "effective_from",
        "effective_to",
        "value",
        "unit",
        "low",
        "high",
        "owner",
        "origin",
    ]
    return _table(frame, columns)


def render_history(frame: pd.DataFrame) -> str:
    """The change history as an aligned text table (``outcomes assumptions history``)."""
    return _table(frame, list(HISTORY_COLUMNS))


# -- merging ---------------------------------------------------------------------------------


def _merged(settings: Settings) -> list[Version]:
    file_rows = read_register_file(settings.assumptions_file)
    raw_rows = _raw_versions_from_store(settings)
    merged, _ = _merge(raw_rows, file_rows, _changes(settings))
    return merged


def _merge(
    raw_rows: Iterable[Version], file_rows: Iterable[Version], changes: Iterable[AssumptionChange]
) -> tuple[list[Version], list[Version]]:
    """(the merged register, the CLI changes as full rows) - the precedence of the module doc."""
    register: dict[tuple[str, dt.date], Version] = {}
    for v in raw_rows:
        register[(v.key, v.effective_from)] = v
    for v in file_rows:
        register[(v.key, v.effective_from)] = v
    cli_rows: list[Version] = []
    for c in sorted(changes, key=lambda c: c.id):
        same = register.get((c.key, c.effective_from))
        versions = sorted(
            (v for v in register.values() if v.key == c.key), key=lambda v: v.effective_from
        )
        template = (
            same or _in_force(versions, c.effective_from) or (versions[0] if versions else None)
        )
        row = Version(
            key=c.key,
            effective_from=c.effective_from,
            value=c.new_value,
            unit=c.unit,
            owner=template.owner if template else c.author,
            source=f"outcomes assumptions set (change {c.id}) by {c.author}: {c.why}",
            note=template.note if template else None,
            low=template.low if template else None,
            high=template.high if template else None,
            origin="cli",
            load_id=f"{CLI_LOAD_PREFIX}{c.id:08d}",
            changed_by=c.author,
            changed_at=c.created_at.replace(tzinfo=None),
            why=c.why,
            old_value=c.old_value,
        )
        register[(c.key, c.effective_from)] = row
        cli_rows.append(row)
    merged = sorted(register.values(), key=lambda v: (v.key, v.effective_from))
    return merged, cli_rows


def _in_force(versions: Sequence[Version], day: dt.date) -> Version | None:
    """The version with the greatest effective_from <= day (versions sorted by date)."""
    found = None
    for v in versions:
        if v.effective_from <= day:
            found = v
    return found


def _changes(settings: Settings) -> list[AssumptionChange]:
    if not Path(settings.state_path).exists():
        return []  # reading must not create a state store
    return StateStore(settings.state_path).assumption_changes()


_RAW_QUERY = f"""
with versions as (
    select
        a.*,
        row_number() over (
            partition by a.key, a.effective_from
            order by l.started_at desc nulls last, a._load_id desc, a._row_number desc
        ) as version_rank
    from raw.assumptions as a
    left join raw.loads as l
        on l.load_id = a._load_id
    where a._load_id is null
        or (a._load_id not like '{FILE_LOAD_PREFIX}%' and a._load_id not like '{CLI_LOAD_PREFIX}%')
)
select key, effective_from, value::varchar, unit, owner, source, note, low::varchar,
    high::varchar, _load_id
from versions
where version_rank = 1 and key is not null and effective_from is not null and value is not null
order by key, effective_from
"""


def _raw_versions(con: duckdb.DuckDBPyConnection) -> list[Version]:
    """Newest ingested version per (key, effective_from) of ``raw.assumptions`` on ``con``."""
    # con itself, not a cursor: a cursor would not inherit `use rawstore` of the raw store
    rows = con.execute(_RAW_QUERY).fetchall()
    return [
        Version(
            key=r[0],
            effective_from=r[1],
            value=Decimal(r[2]),
            unit=r[3],
            owner=r[4],
            source=r[5],
            note=r[6],
            low=None if r[7] is None else Decimal(r[7]),
            high=None if r[8] is None else Decimal(r[8]),
            origin="ingest",
            load_id=r[9] or "",
        )
        for r in rows
    ]


def _raw_versions_from_store(settings: Settings) -> list[Version]:
    if not Path(settings.raw_path).exists():
        return []  # reading must not create a raw store
    from outcomes.store.raw import open_raw_store

    with open_raw_store(settings, write=False) as con:
        return _raw_versions(con)


def _ensure_raw_assumptions(con: duckdb.DuckDBPyConnection) -> None:
    from outcomes.store.raw import raw_table_ddl

    con.execute(raw_table_ddl(load_contract("assumptions")))


# -- parsing and formatting ------------------------------------------------------------------


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
        problem = _fits(number, precision, scale)
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


def _fits(number: Decimal, precision: int, scale: int) -> str | None:
    """A problem text when ``number`` does not fit DECIMAL(precision, scale) exactly."""
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > scale:
        return (
            f"{number} has {places} decimal places, the register keeps {scale}; "
            f"fix: round it to {scale} places"
        )
    whole = len(str(abs(number).to_integral_value(rounding="ROUND_DOWN")).lstrip("0"))
    if whole > precision - scale:
        return f"{number} is too large (more than {precision - scale} digits before the point)"
    return None


def _parse_decimal_arg(value: object, name: str) -> Decimal:
    if isinstance(value, float | bool):
        raise AssumptionsError(
            [
                f"{name} must be a decimal (Decimal, int or text such as '62.50'), never a {type(value).__name__}"
            ]
        )
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise AssumptionsError([f"{name} {value!r} is not a number; fix: e.g. 62.50"]) from None
    if not number.is_finite():
        raise AssumptionsError([f"{name} {value!r} is not a finite number"])
    problem = _fits(number, 18, 6)
    if problem:
        raise AssumptionsError([f"{name}: {problem}"])
    return number


def _text(number: Decimal) -> str:
    """Plain decimal text without trailing zeros or exponent: 62.500000 -> '62.5'.

    >>> _text(Decimal("120000.000000")), _text(Decimal("0.000000")), _text(Decimal("-1.50"))
    ('120000', '0', '-1.5')
    """
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _show(value: object) -> str:
    return _text(value) if isinstance(value, Decimal) else str(value)


def _str_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _row_hash(v: Version) -> str:
    payload = [
        v.key,
        v.effective_from.isoformat(),
        str(v.value),
        v.unit,
        v.owner,
        v.source,
        v.note,
        _str_or_none(v.low),
        _str_or_none(v.high),
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def _frame(versions: Sequence[Version]) -> pd.DataFrame:
    rows = []
    by_key: dict[str, list[Version]] = {}
    for v in versions:
        by_key.setdefault(v.key, []).append(v)
    for key in sorted(by_key):
        chain = sorted(by_key[key], key=lambda v: v.effective_from)
        for i, v in enumerate(chain):
            effective_to = (
                chain[i + 1].effective_from - dt.timedelta(days=1) if i + 1 < len(chain) else None
            )
            rows.append([{**vars(v), "effective_to": effective_to}[c] for c in REGISTER_COLUMNS])
    return pd.DataFrame(rows, columns=list(REGISTER_COLUMNS), dtype=object)


def _table(frame: pd.DataFrame, columns: list[str]) -> str:
    if frame.empty:
        return "(none)"

    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return ""
        if isinstance(value, Decimal):
            return _text(value)
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    body = [[cell(r[c]) for c in columns] for r in frame.to_dict("records")]
    widths = [max(len(c), *(len(row[i]) for row in body)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in body
    ]
    return "\n".join(lines)
