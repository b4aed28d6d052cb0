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
>>> from outcomes.roi.assumption_changes import set_assumption
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

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from outcomes.config import Settings
from outcomes.core.contracts import load_contract
from outcomes.roi.assumption_versions import (
    CLI_LOAD_PREFIX,
    FILE_LOAD_PREFIX,
    AssumptionsError,
    Version,
    in_force,
)
from outcomes.roi.ledger import decimal_text
from outcomes.roi.register_file import read_register_file
from outcomes.store.state import StateStore
from outcomes.store.state_assumptions import AssumptionChange

# A version as people read it: what, from when to when, how much, whose and why.
VERSION_COLUMNS = (
    "key",
    "effective_from",
    "effective_to",
    "value",
    "unit",
    "owner",
    "source",
    "note",
)
REGISTER_COLUMNS = (
    *VERSION_COLUMNS,
    "system",
    "low",
    "high",
    "origin",
    "load_id",
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
    line bigint,
    system varchar
)"""


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


def load_register(settings: Settings) -> pd.DataFrame:
    """The merged register (ingested rows + register file + CLI changes), by key and date.

    Columns: ``REGISTER_COLUMNS``; ``value``, ``low``, ``high`` are ``Decimal``. Raises
    :class:`AssumptionsError` naming file, row, column and the fix when the file is invalid.
    """
    return _frame(merged_versions(settings))


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
    changes = recorded_changes(settings)
    raw_rows = _raw_versions(con)
    merged, cli_rows = _merge(raw_rows, file_rows, changes)
    entries = [*file_rows, *cli_rows]
    con.execute(REGISTER_TABLE_DDL)
    if entries:
        con.executemany(
            "insert into raw.assumption_register values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    v.load_id,
                    v.origin,
                    *_contract_values(v),
                    _str_or_none(v.old_value),
                    v.changed_by,
                    v.changed_at,
                    v.why,
                    v.source_file,
                    v.line,
                    v.system,
                ]
                for v in entries
            ],
        )
        con.executemany(
            "insert into raw.assumptions (key, effective_from, value, unit, owner, source, note, "
            "low, high, system, _load_id, _row_number) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[*_contract_values(v), v.system, v.load_id, v.line or 1] for v in entries],
        )
    return RegisterCopy(file_rows=len(file_rows), changes=len(cli_rows), versions=len(merged))


def render_register(frame: pd.DataFrame) -> str:
    """The register as an aligned text table (``outcomes assumptions list``)."""
    columns = [
        "key",
        "system",
        "effective_from",
        "effective_to",
        "value",
        "unit",
        "low",
        "high",
        "owner",
        "origin",
    ]
    return text_table(frame, columns)


# -- merging ---------------------------------------------------------------------------------


def merged_versions(settings: Settings) -> list[Version]:
    """The merged register of ``settings`` (ingested rows, register file, CLI changes)."""
    file_rows = read_register_file(settings.assumptions_file)
    raw_rows = _raw_versions_from_store(settings)
    merged, _ = _merge(raw_rows, file_rows, recorded_changes(settings))
    return merged


def _merge(
    raw_rows: Iterable[Version], file_rows: Iterable[Version], changes: Iterable[AssumptionChange]
) -> tuple[list[Version], list[Version]]:
    """(the merged register, the CLI changes as full rows) - the precedence of the module doc."""
    # one version per key, system (None: company-wide) and effective_from
    register: dict[tuple[str, str | None, dt.date], Version] = {}
    for v in raw_rows:
        register[(v.key, v.system, v.effective_from)] = v
    for v in file_rows:
        register[(v.key, v.system, v.effective_from)] = v
    cli_rows: list[Version] = []
    for c in sorted(changes, key=lambda c: c.id):
        same = register.get((c.key, c.system, c.effective_from))
        versions = sorted(
            (v for v in register.values() if v.key == c.key and v.system == c.system),
            key=lambda v: v.effective_from,
        )
        company = sorted(
            (v for v in register.values() if v.key == c.key and v.system is None),
            key=lambda v: v.effective_from,
        )
        template = (
            same
            or in_force(versions, c.effective_from)
            or in_force(company, c.effective_from)
            or next(iter(versions or company), None)
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
            system=c.system,
        )
        register[(c.key, c.system, c.effective_from)] = row
        cli_rows.append(row)
    merged = sorted(register.values(), key=lambda v: (v.key, v.system or "", v.effective_from))
    return merged, cli_rows


def recorded_changes(settings: Settings) -> list[AssumptionChange]:
    """Every change in the state store, oldest first (none when there is no store yet);
    :class:`AssumptionsError` when the audit log's chain, or a change against its entry, does
    not verify: an edited assumption must never reach the ledger."""
    if not Path(settings.state_path).exists():
        return []  # reading must not create a state store
    store = StateStore(settings.state_path)
    verdict = store.verify_audit()
    if not verdict.ok:
        raise AssumptionsError(
            [
                f"{store.path}: {verdict.problem}. The build refuses assumption changes it cannot "
                "trust: run `outcomes audit verify`, restore the state store from a backup, or "
                "record the change again with `outcomes assumptions set`."
            ]
        )
    return store.assumption_changes()


_RAW_QUERY = f"""
with versions as (
    select
        a.*,
        row_number() over (
            partition by a.key, a.system, a.effective_from
            order by l.started_at desc nulls last, a._load_id desc, a._row_number desc
        ) as version_rank
    from raw.assumptions as a
    left join raw.loads as l
        on l.load_id = a._load_id
    where a._load_id is null
        or (a._load_id not like '{FILE_LOAD_PREFIX}%' and a._load_id not like '{CLI_LOAD_PREFIX}%')
)
select key, effective_from, value::varchar, unit, owner, source, note, low::varchar,
    high::varchar, _load_id, system
from versions
where version_rank = 1 and key is not null and effective_from is not null and value is not null
order by key, system nulls first, effective_from
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
            system=r[10],
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


def _str_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _contract_values(v: Version) -> list[object]:
    """The version's columns of the ``assumptions`` contract, in its order, decimals as text."""
    return [
        v.key,
        v.effective_from,
        str(v.value),
        v.unit,
        v.owner,
        v.source,
        v.note,
        _str_or_none(v.low),
        _str_or_none(v.high),
    ]


def _frame(versions: Sequence[Version]) -> pd.DataFrame:
    rows = []
    by_key: dict[tuple[str, str], list[Version]] = {}
    for v in versions:
        by_key.setdefault((v.key, v.system or ""), []).append(v)
    for key in sorted(by_key):
        chain = sorted(by_key[key], key=lambda v: v.effective_from)
        for i, v in enumerate(chain):
            effective_to = (
                chain[i + 1].effective_from - dt.timedelta(days=1) if i + 1 < len(chain) else None
            )
            rows.append([{**vars(v), "effective_to": effective_to}[c] for c in REGISTER_COLUMNS])
    return pd.DataFrame(rows, columns=list(REGISTER_COLUMNS), dtype=object)


def text_table(frame: pd.DataFrame, columns: list[str]) -> str:
    """``columns`` of ``frame`` as an aligned text table (``(none)`` when empty)."""
    if frame.empty:
        return "(none)"

    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return ""
        if isinstance(value, Decimal):
            return decimal_text(value)
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
