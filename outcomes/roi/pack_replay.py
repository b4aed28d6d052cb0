"""Re-execute an audit pack's ROI SQL over the pack's own metric inputs and assumptions.

:func:`replay_pack` opens a DuckDB with no file and no external access (``:memory:``,
``enable_external_access = false``, configuration locked), builds ``metrics.<name>`` from
``metric_inputs.csv`` (every dimension as a column, the metric's other columns from
``extras``) and ``staging.assumptions`` from the register rows of ``assumptions.csv``, defines
``assumption_at`` by the register's rule (the version with the greatest ``effective_from <=``
the week), runs each ``sql/roi/<line>.sql`` of the pack and compares its amount with
``ledger.csv`` for every week of the period. A line whose SQL reads what a pack does not carry
(events, cost rows, the calendar) is listed as not replayed: its amounts are still recomputed
from their inputs by :mod:`outcomes.roi.pack_verify`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from outcomes.core.csv_cells import read_records
from outcomes.errors import OutcomesError

HEADER = re.compile(r"^\s*/\*\s*---.*?---\s*\*/", re.S)  # the YAML header of a definition
ASSUMPTION_AT = """
create macro assumption_at(assumption_key, week) as (
    select arg_max(a.value, a.effective_from)
    from staging.assumptions as a
    where a.key = assumption_key
        and a.effective_from <= week
)
"""


class ReplayError(OutcomesError, ValueError):
    """A pack whose metric inputs or assumptions cannot be loaded for a replay."""


@dataclass(frozen=True)
class LineReplay:
    """One ROI line re-executed over the pack: which weeks disagree with ledger.csv."""

    line_id: str
    status: str  # match | mismatch | not_replayed
    weeks: int = 0  # line-weeks compared
    differences: tuple[tuple[str, str | None, str | None], ...] = ()  # week, ledger, replayed
    message: str = ""

    def describe(self) -> str:
        """One line for the verify report."""
        if self.status == "not_replayed":
            return f"{self.line_id}: not re-executed ({self.message})"
        if self.status == "match":
            return f"{self.line_id}: re-executed, {self.weeks} week(s) match ledger.csv"
        shown = "; ".join(f"{w} ledger {a} vs SQL {b}" for w, a, b in self.differences[:3])
        return f"{self.line_id}: the pack's SQL over its inputs gives other amounts: {shown}"


def replay_pack(contents: Mapping[str, bytes]) -> list[LineReplay]:
    """Re-execute every ``sql/roi/*.sql`` of the pack ``contents`` (file name -> bytes)."""
    ledger = _ledger_amounts(contents)
    period_weeks = {w for (w, _) in ledger}
    con = duckdb.connect(":memory:", config={"enable_external_access": False})
    try:
        con.execute("create schema metrics; create schema staging")
        _load_assumptions(con, contents.get("assumptions.csv", b""))
        _load_metrics(con, contents.get("metric_inputs.csv", b""))
        con.execute(ASSUMPTION_AT)
        con.execute("set lock_configuration = true")
        out = []
        for name in sorted(n for n in contents if n.startswith("sql/roi/") and n.endswith(".sql")):
            line_id = name.removeprefix("sql/roi/").removesuffix(".sql")
            body = HEADER.sub("", contents[name].decode(), count=1).strip().rstrip(";")
            try:
                found = con.execute(
                    f"select week_start::varchar, amount::varchar from ({body}) as replayed"
                ).fetchall()
            except duckdb.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                out.append(LineReplay(line_id, "not_replayed", message=f"it reads {first}"))
                continue
            replayed = {w: Decimal(a) for w, a in found if w in period_weeks}
            stored = {w: a for (w, line), a in ledger.items() if line == line_id}
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


def _ledger_amounts(contents: Mapping[str, bytes]) -> dict[tuple[str, str], Decimal]:
    rows = read_records(contents.get("ledger.csv", b"").decode())
    return {(r["week_start"], r["line_id"]): Decimal(r["amount"]) for r in rows}


def _load_assumptions(con: duckdb.DuckDBPyConnection, data: bytes) -> None:
    con.execute(
        "create table staging.assumptions (key varchar, effective_from date, "
        "value decimal(38, 10), unit varchar)"
    )
    rows = [
        [r["key"], r["effective_from"], r["value"], r.get("unit") or None]
        for r in read_records(data.decode())
        if r.get("record") == "register"
    ]
    if rows:
        con.executemany("insert into staging.assumptions values (?, ?, ?, ?)", rows)


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
