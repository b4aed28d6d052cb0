"""Re-execute an audit pack's ROI SQL over the pack's own metric inputs and assumptions.

:func:`replay_pack` opens a DuckDB with no file and no external access (``:memory:``,
``enable_external_access = false``, configuration locked), builds ``metrics.<name>`` from
``metric_inputs.csv`` (every dimension as a column, the metric's other columns from
``extras``) and ``staging.assumptions`` from the register rows of ``assumptions.csv`` (with their system),
defines ``assumption_at`` / ``assumption_for`` by the register's rule (the version with the
greatest ``effective_from <=`` the week; the system's own, else the company-wide one), runs
each ``sql/roi/<line>.sql`` of the pack and compares its amount with ``ledger.csv`` for every
week and AI system of the period. The rows the cost, inference and amortisation
lines read come from ``inputs/`` (:mod:`outcomes.roi.pack_inputs`): ``staging.ai_events``,
``staging.cost_allocations``, ``staging.cost_weeks``, ``staging.system_weeks`` and
``main.build_settings``, with the macros the
lines call (:data:`outcomes.core.macros.MACROS`, and ``setting``, ``local_ts``, ``week_of``
as :func:`outcomes.store.sqlfunctions.install` defines them, from the pack's settings). A line
whose SQL reads what its pack does not carry (a pack exported before ``inputs/``) is listed as
not replayed: its amounts are still recomputed from their inputs by
:mod:`outcomes.roi.pack_verify`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pyarrow as pa

from outcomes.core.csv_cells import read_records
from outcomes.core.macros import MACROS
from outcomes.errors import OutcomesError

HEADER = re.compile(r"^\s*/\*\s*---.*?---\s*\*/", re.S)  # the YAML header of a definition
# inputs/<file> -> the table it fills, and its columns (decimals exact: the SQL sums them)
DEC = "decimal(38, 10)"
INPUT_TABLES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "inputs/ai_events.csv": (
        "staging.ai_events",
        (("week_start", "date"), ("system", "varchar"), ("cost_usd", DEC)),
    ),
    "inputs/cost_allocations.csv": (
        "staging.cost_allocations",
        (
            ("cost_id", "varchar"),
            ("week_start", "date"),
            ("system", "varchar"),
            ("category", "varchar"),
            ("currency", "varchar"),
            ("method", "varchar"),
            ("amount", DEC),
        ),
    ),
    "inputs/cost_weeks.csv": (
        "staging.cost_weeks",
        (
            ("cost_id", "varchar"),
            ("week_start", "date"),
            ("category", "varchar"),
            ("currency", "varchar"),
            ("amount", DEC),
        ),
    ),
    "inputs/system_weeks.csv": (
        "staging.system_weeks",
        (("week_start", "date"), ("system", "varchar"), ("week_number", "bigint")),
    ),
    "inputs/build_settings.csv": (
        "main.build_settings",
        (("key", "varchar"), ("value", "varchar")),
    ),
}


class ReplayError(OutcomesError, ValueError):
    """A pack whose metric inputs or assumptions cannot be loaded for a replay."""


@dataclass(frozen=True)
class LineReplay:
    """One ROI line re-executed over the pack: which weeks disagree with ledger.csv."""

    line_id: str
    status: str  # match | mismatch | not_replayed
    weeks: int = 0  # line-weeks compared
    # (week and system, ledger, replayed)
    differences: tuple[tuple[str, str | None, str | None], ...] = ()
    message: str = ""

    def describe(self) -> str:
        """One line for the verify report."""
        if self.status == "not_replayed":
            return f"{self.line_id}: not re-executed ({self.message})"
        if self.status == "mismatch" and not self.differences:
            return f"{self.line_id}: the pack's SQL fails over its inputs: {self.message}"
        if self.status == "match":
            return (
                f"{self.line_id}: re-executed, {self.weeks} week(s) of its systems match ledger.csv"
            )
        if self.line_id == "cost_allocations":
            shown = "; ".join(f"{k}: {a} vs shares {b}" for k, a, b in self.differences[:3])
            return f"{self.line_id}: {self.message}: {shown}"
        shown = "; ".join(f"{w} ledger {a} vs SQL {b}" for w, a, b in self.differences[:3])
        return f"{self.line_id}: the pack's SQL over its inputs gives other amounts: {shown}"


def replay_pack(contents: Mapping[str, bytes]) -> list[LineReplay]:
    """Re-execute every ``sql/roi/*.sql`` of the pack ``contents`` (file name -> bytes)."""
    ledger = _ledger_amounts(contents)
    period_weeks = {w for (w, _, _) in ledger}
    con = duckdb.connect(":memory:", config={"enable_external_access": False})
    try:
        con.execute("create schema metrics; create schema staging")
        _load_assumptions(con, contents.get("assumptions.csv", b""))
        _load_metrics(con, contents.get("metric_inputs.csv", b""))
        settings = _load_inputs(con, contents)
        carried = all(name in contents for name in INPUT_TABLES)
        _create_macros(con, settings)
        con.execute("set lock_configuration = true")
        out = _allocation_check(con, contents)
        for name in sorted(n for n in contents if n.startswith("sql/roi/") and n.endswith(".sql")):
            line_id = name.removeprefix("sql/roi/").removesuffix(".sql")
            body = HEADER.sub("", contents[name].decode(), count=1).strip().rstrip(";")
            try:
                found = con.execute(
                    f"select week_start::varchar, system, amount::varchar from ({body}) as replayed"
                ).fetchall()
            except duckdb.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                unbound = isinstance(exc, duckdb.BinderException | duckdb.CatalogException)
                if carried and not unbound:  # its SQL fails on the very rows the pack carries
                    out.append(LineReplay(line_id, "mismatch", message=first))
                else:  # it reads what the pack does not carry (or an older pack's)
                    out.append(LineReplay(line_id, "not_replayed", message=f"it reads {first}"))
                continue
            replayed = {f"{w} {sy}": Decimal(a) for w, sy, a in found if w in period_weeks}
            stored = {f"{w} {sy}": a for (w, sy, line), a in ledger.items() if line == line_id}
            differences = tuple(
                (w, _text(stored.get(w)), _text(replayed.get(w)))
                for w in sorted(stored.keys() | replayed.keys())
                if stored.get(w) is None or replayed.get(w) is None or stored[w] != replayed[w]
            )
            out.append(
                LineReplay(
                    line_id,
                    "mismatch" if differences else "match",
                    len(stored.keys() | replayed.keys()),
                    differences,
                )
            )
        return out
    finally:
        con.close()


def _allocation_check(
    con: duckdb.DuckDBPyConnection, contents: Mapping[str, bytes]
) -> list[LineReplay]:
    """A mismatch when the systems' shares of a cost line's week (inputs/cost_allocations.csv)
    do not add up to that week's amount (inputs/cost_weeks.csv); nothing when they do."""
    if not all(f"inputs/{n}.csv" in contents for n in ("cost_allocations", "cost_weeks")):
        return []
    found = con.execute(
        "select coalesce(a.cost_id, w.cost_id) || ' ' || coalesce(a.week_start, w.week_start), "
        "w.amount::varchar, a.total::varchar from (select cost_id, week_start, sum(amount) as "
        "total from staging.cost_allocations group by all) as a full join staging.cost_weeks "
        "as w on w.cost_id = a.cost_id and w.week_start = a.week_start "
        "where a.total is distinct from w.amount order by 1"
    ).fetchall()
    if not found:
        return []
    return [
        LineReplay(
            "cost_allocations",
            "mismatch",
            len(found),
            tuple((k, _text(_dec(w)), _text(_dec(a))) for k, w, a in found),
            "the systems' shares of a cost line's week do not add up to the week's amount",
        )
    ]


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _ledger_amounts(contents: Mapping[str, bytes]) -> dict[tuple[str, str, str], Decimal]:
    rows = read_records(contents.get("ledger.csv", b"").decode())
    # a pack exported before systems has no system column: its rows are the company's ('')
    return {
        (r["week_start"], r.get("system") or "", r["line_id"]): Decimal(r["amount"]) for r in rows
    }


def _load_assumptions(con: duckdb.DuckDBPyConnection, data: bytes) -> None:
    con.execute(
        "create table staging.assumptions (key varchar, system varchar, effective_from date, "
        "value decimal(38, 10), unit varchar, low decimal(38, 10), high decimal(38, 10))"
    )
    rows = [
        [
            r["key"],
            r.get("system") or None,
            r["effective_from"],
            r["value"],
            r.get("unit") or None,
            r.get("low") or None,
            r.get("high") or None,
        ]
        for r in read_records(data.decode())
        if r.get("record") == "register"
    ]
    if rows:
        con.executemany("insert into staging.assumptions values (?, ?, ?, ?, ?, ?, ?)", rows)


def _load_inputs(con: duckdb.DuckDBPyConnection, contents: Mapping[str, bytes]) -> dict[str, str]:
    """Fill a table per ``inputs/*.csv`` the pack carries (an absent file, no table: the lines
    reading it are not replayed); return the build settings."""
    settings: dict[str, str] = {}
    for name, (table, columns) in INPUT_TABLES.items():
        if name == "inputs/build_settings.csv":
            _create(con, table, columns)  # setting() needs it to bind
        if name not in contents:
            continue
        if name != "inputs/build_settings.csv":
            _create(con, table, columns)
        records = read_records(contents[name].decode())
        names = [n for n, _ in columns]
        if records and set(names) - set(records[0]):
            raise ReplayError(f"{name}: the columns are {', '.join(names)}")
        # as an Arrow table of texts, cast by DuckDB: row by row inserts take minutes per
        # million events; the cast from text is exact for decimals
        texts = pa.table({n: [r.get(n) or None for r in records] for n in names})
        con.register("pack_input", texts)
        try:
            casts = ", ".join(f'"{n}"::{t}' for n, t in columns)
            con.execute(f"insert into {table} select {casts} from pack_input")
        except duckdb.Error as exc:
            raise ReplayError(f"{name}: {str(exc).strip().splitlines()[0]}") from exc
        finally:
            con.unregister("pack_input")
        if name == "inputs/build_settings.csv":
            settings = {r["key"]: r["value"] for r in records}
    return settings


def _create(
    con: duckdb.DuckDBPyConnection, table: str, columns: tuple[tuple[str, str], ...]
) -> None:
    con.execute(f"create table {table} ({', '.join(f'{n} {t}' for n, t in columns)})")


def _create_macros(con: duckdb.DuckDBPyConnection, settings: Mapping[str, str]) -> None:
    """The macros the ROI lines call, as :func:`outcomes.store.sqlfunctions.install` creates
    them, with the time zone and week start the pack's build used."""
    tz = "'" + settings.get("timezone", "UTC").replace("'", "''") + "'"
    try:
        ws = int(settings.get("week_start", "1"))
    except ValueError as exc:
        raise ReplayError("inputs/build_settings.csv: week_start is not a weekday number") from exc
    for statement in (
        f"create macro main.local_ts(ts) as (ts::timestamp at time zone 'UTC') at time zone {tz}",
        f"create macro main.week_of_date(d) as d::date - ((isodow(d::date) - {ws} + 7) % 7)::integer",
        "create macro main.week_of(ts) as main.week_of_date(main.local_ts(ts)::date)",
        "create macro main.setting(k) as (select value from main.build_settings where key = k)",
        *(macro.create_sql() for macro in MACROS),
    ):
        con.execute(statement)


def _load_metrics(con: duckdb.DuckDBPyConnection, data: bytes) -> None:
    """One ``metrics.<name>`` table per metric: week_start, value, numerator, denominator,
    flag, a column per dimension (null on the all-dimensions row) and per ``extras`` key."""
    by_metric: dict[str, list[dict[str, str]]] = {}
    for r in read_records(data.decode()):
        by_metric.setdefault(r["metric"], []).append(r)
    for metric, rows in sorted(by_metric.items()):
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", metric):
            raise ReplayError(f"metric_inputs.csv: {metric!r} is not a metric name")
        parsed = []
        for r in rows:
            dims = json.loads(r.get("dimensions") or "{}", parse_float=Decimal)
            extras = json.loads(r.get("extras") or "{}", parse_float=Decimal)
            parsed.append((r, dims, extras))
        dim_keys = sorted({k for _, d, _ in parsed for k in d})
        extra_keys = sorted({k for _, _, x in parsed for k in x} - set(dim_keys))
        fixed = ["week_start", "value", "numerator", "denominator", "flag"]
        extra_keys = [k for k in extra_keys if k not in fixed]
        columns = [
            "week_start date",
            "value double",
            "numerator double",
            "denominator double",
            "flag varchar",
            *(f'"{k}" varchar' for k in dim_keys),
            *(f'"{k}" varchar' for k in extra_keys),  # text: cast exactly by the SQL
        ]
        con.execute(f"create table metrics.{metric} ({', '.join(columns)})")
        values = [
            [
                r["week_start"],
                _num(r["value"]),
                _num(r["numerator"]),
                _num(r["denominator"]),
                r["flag"] or None,
                *(_text_value(d.get(k)) for k in dim_keys),
                *(_text_value(x.get(k)) for k in extra_keys),
            ]
            for r, d, x in parsed
        ]
        marks = ", ".join("?" * len(columns))
        con.executemany(f"insert into metrics.{metric} values ({marks})", values)


def _num(text: str | None) -> float | None:
    return float(text) if text not in (None, "") else None


def _text_value(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return f"{value:f}"  # exact: the SQL casts the text to its DECIMAL
    return json.dumps(value)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"
