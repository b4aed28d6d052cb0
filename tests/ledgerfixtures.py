"""A fixture snapshot with a ROI ledger, written in code (no build), per docs/ARCHITECTURE.md.

``make_snapshot`` writes a DuckDB file holding ``main.roi_ledger`` (rows computed exactly with
outcomes.core.formula), ``main.build_manifest`` / ``main.build_objects`` / ``main.build_settings``,
``main.metric_values``, ``staging.assumptions`` (as a table), ``raw.assumptions`` and
``raw.loads``, plus the SQL files the build objects point at. Calling it again on the same path
with other arguments plays "a later build" (written beside, then ``os.replace``d).

Weeks: the Mondays 2026-01-05 .. 2026-04-27 (13 in 2026-Q1, 4 in 2026-04).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from outcomes.config import Settings
from outcomes.core.formula import Formula
from outcomes.roi.ledger import LEDGER_COLUMNS
from outcomes.roi.ledger_build import LEDGER_DDL
from outcomes.store.snapshot import open_snapshot
from outcomes.store.state import StateStore

SYSTEM = "ticket-assistant"  # the one AI system of the fixture's ledger
WEEKS = [dt.date(2026, 1, 5) + dt.timedelta(weeks=k) for k in range(17)]
Q1_WEEKS = [w for w in WEEKS if w < dt.date(2026, 4, 1)]
JAN_WEEKS = [w for w in WEEKS if w.month == 1]

LINES = {
    "analyst_time_saved": ("benefit", "Analyst time saved", "hours_saved * loaded_hourly_cost"),
    "errors_avoided": (
        "benefit",
        "Errors avoided",
        "(baseline_error_rate - error_rate) * event_volume * cost_per_error",
    ),
    "inference_spend": ("cost", "Inference spend", "inference_cost"),
    "platform_cost": ("cost", "Platform and licence", "licence_annual / 52 + infrastructure"),
}

DEFAULT_ASSUMPTIONS: dict[str, list[tuple[str, str]]] = {
    "loaded_hourly_cost": [("2026-01-01", "62.50")],
    "baseline_error_rate": [("2026-01-01", "0.25")],
    "cost_per_error": [("2026-01-01", "180")],
    "licence_annual": [("2026-01-01", "52000"), ("2026-03-01", "60000")],
}
UNITS = {
    "loaded_hourly_cost": "usd/hour",
    "baseline_error_rate": "ratio",
    "cost_per_error": "usd",
    "licence_annual": "usd/year",
}
METRIC_SQL = {
    "hours_saved": "select week_start, sum(saved) as value from staging.work_items group by 1",
    "error_rate": "select week_start, avg(err) as value from staging.feedback group by 1",
    "event_volume": "select week_start, count(*) as value from staging.ai_events group by 1",
}
METRIC_UNITS = {"hours_saved": "hours", "error_rate": "ratio", "event_volume": "count"}


@dataclass
class Fixture:
    root: Path
    assumptions: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_ASSUMPTIONS.items()}
    )
    build_id: str = "B20260504T020000-00000001"
    metric_sql_suffix: Mapping[str, str] = field(default_factory=dict)
    line_ids: tuple[str, ...] = tuple(sorted(LINES))
    status: str = "ok"

    @property
    def warehouse(self) -> Path:
        return self.root / "data" / "warehouse.duckdb"

    @property
    def sql_dir(self) -> Path:
        return self.root / "sql"

    def settings(self) -> Settings:
        return Settings(
            warehouse_path=self.warehouse,
            state_path=self.root / "data" / "state.sqlite",
            sql_dir=self.sql_dir,
            raw_path=self.root / "data" / "raw.duckdb",
        )


def hours_saved(week: dt.date) -> float:
    return 100.0 + 7.5 * WEEKS.index(week)


def error_rate(week: dt.date) -> float:
    return 0.2 - 0.005 * WEEKS.index(week)


def event_volume(week: dt.date) -> float:
    return float(400 + 25 * WEEKS.index(week))


def inference_cost(week: dt.date) -> Decimal:
    return Decimal("1234.57") + Decimal("10.01") * WEEKS.index(week)


def infrastructure(week: dt.date) -> Decimal:
    return Decimal("2500.00") if WEEKS.index(week) < 4 else Decimal("800.00")


def assumption_in_force(fx: Fixture, key: str, week: dt.date) -> tuple[str, str]:
    versions = sorted(fx.assumptions[key])
    current = None
    for effective_from, value in versions:
        if dt.date.fromisoformat(effective_from) <= week:
            current = (effective_from, value)
    assert current is not None, (key, week)
    return current


def ledger_rows(fx: Fixture) -> list[dict]:
    """The ledger rows of the fixture, as ARCHITECTURE.md describes main.roi_ledger."""
    sha = _metric_sha(fx)
    rows = []
    for week in WEEKS:
        for line_id in sorted(fx.line_ids):
            category, title, formula_text = LINES[line_id]
            inputs = []
            for name in Formula.parse(formula_text).names:
                if name in METRIC_SQL:
                    value = _metric_decimal(name, week)
                    inputs.append(
                        {
                            "name": name,
                            "value": value,
                            "unit": METRIC_UNITS[name],
                            "source_type": "metric",
                            "source_ref": name,
                            "sql_sha256": sha[name],
                            "effective_from": None,
                            "owner": "support-ops@example.com",
                        }
                    )
                elif name in fx.assumptions:
                    effective_from, value = assumption_in_force(fx, name, week)
                    inputs.append(
                        {
                            "name": name,
                            "value": value,
                            "unit": UNITS[name],
                            "source_type": "assumption",
                            "source_ref": name,
                            "sql_sha256": None,
                            "effective_from": effective_from,
                            "owner": "finance@example.com",
                        }
                    )
                else:
                    value = str(
                        inference_cost(week) if name == "inference_cost" else infrastructure(week)
                    )
                    inputs.append(
                        {
                            "name": name,
                            "value": value,
                            "unit": "usd",
                            "source_type": "cost_rows",
                            "source_ref": f"staging.cost_weeks:{name}",
                            "sql_sha256": None,
                            "effective_from": None,
                            "owner": "finance@example.com",
                        }
                    )
            f = Formula.parse(formula_text)
            values = {i["name"]: Decimal(i["value"]) for i in inputs}
            amount = f.evaluate(values).quantize(Decimal("1E-10"), rounding=ROUND_HALF_UP)
            rows.append(
                {
                    "week_start": week,
                    "system": SYSTEM,
                    "line_id": line_id,
                    "category": category,
                    "title": title,
                    "formula": formula_text,
                    "formula_filled": f.filled({i["name"]: i["value"] for i in inputs}),
                    "inputs": json.dumps(inputs),
                    "amount": amount,
                    "currency": "USD",
                }
            )
    return rows


def _metric_decimal(name: str, week: dt.date) -> str:
    value = {"hours_saved": hours_saved, "error_rate": error_rate, "event_volume": event_volume}[
        name
    ](week)
    return str(Decimal(repr(value)))


def _metric_sha(fx: Fixture) -> dict[str, str]:
    return {
        name: hashlib.sha256(_metric_text(fx, name).encode()).hexdigest() for name in METRIC_SQL
    }


def _metric_text(fx: Fixture, name: str) -> str:
    return (
        f"/* ---\nname: {name}\ntitle: {name}\ndescription: fixture\ngrain: One row per week.\n"
        f"kind: business\nunit: {METRIC_UNITS[name]}\ndirection: neutral\n--- */\n"
        f"{METRIC_SQL[name]}{fx.metric_sql_suffix.get(name, '')}\n"
    )


def write_sql(fx: Fixture) -> dict[str, tuple[str, Path]]:
    """The SQL files; returns qualified name -> (kind, path)."""
    objects: dict[str, tuple[str, Path]] = {}
    staging = fx.sql_dir / "staging" / "assumptions.sql"
    staging.parent.mkdir(parents=True, exist_ok=True)
    staging.write_text("/* ---\nname: assumptions\n--- */\nselect * from raw.assumptions\n")
    objects["staging.assumptions"] = ("staging", staging)
    for name in METRIC_SQL:
        path = fx.sql_dir / "metrics" / f"{name}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_metric_text(fx, name))
        objects[f"metrics.{name}"] = ("metric", path)
    for line_id, (category, title, formula) in LINES.items():
        path = fx.sql_dir / "roi" / f"{line_id}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"/* ---\nname: {line_id}\ntitle: {title}\ncategory: {category}\nformula: {formula}\n--- */\n"
            "select week_start, amount from metrics.hours_saved\n"
        )
        objects[f"roi.{line_id}"] = ("roi", path)
    return objects


def make_snapshot(fx: Fixture) -> Path:
    """Write the SQL files and the snapshot (atomically replacing an earlier one)."""
    objects = write_sql(fx)
    fx.warehouse.parent.mkdir(parents=True, exist_ok=True)
    tmp = fx.warehouse.parent / f".{fx.build_id}.tmp"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(
            "create schema raw; create schema staging; create schema metrics; create schema roi"
        )
        con.execute("create table main.build_settings (key varchar, value varchar)")
        con.executemany(
            "insert into main.build_settings values (?, ?)",
            [("as_of", "2026-05-04 02:00:00"), ("currency", "USD"), ("week_start", "1")],
        )
        con.execute(
            """create table main.build_manifest (
            build_id varchar, started_at timestamp, finished_at timestamp, status varchar,
            sql_dir varchar, settings json, raw_fingerprint varchar, version varchar)"""
        )
        con.execute(
            "insert into main.build_manifest values (?, ?, ?, ?, ?, ?, ?, '0.1.0')",
            [
                fx.build_id,
                dt.datetime(2026, 5, 4, 2, 0, 0),
                dt.datetime(2026, 5, 4, 2, 0, 9),
                fx.status,
                str(fx.sql_dir),
                json.dumps({"currency": "USD", "timezone": "UTC"}),
                hashlib.sha256(b"L1:abc|L2:def").hexdigest(),
            ],
        )
        con.execute(
            """create table main.build_objects (
            build_id varchar, name varchar, kind varchar, path varchar, sql_sha256 varchar,
            rows bigint, duration_ms double, status varchar, error varchar,
            depends_on varchar[], load_ids varchar[])"""
        )
        for q, (kind, path) in objects.items():
            depends = {
                "staging": [],
                "metric": [],
                "roi": ["metrics.hours_saved", "staging.assumptions"],
            }[kind]
            con.execute(
                "insert into main.build_objects values (?, ?, ?, ?, ?, 17, 1.0, 'ok', null, ?, ?)",
                [
                    fx.build_id,
                    q.split(".", 1)[1],
                    kind,
                    str(path),
                    hashlib.sha256(path.read_bytes()).hexdigest(),
                    depends,
                    ["L1"],
                ],
            )
        con.execute(
            """create table main.metric_values (metric varchar not null, week_start date,
            dimensions varchar not null, value double, numerator double, denominator double,
            flag varchar, extras varchar not null)"""
        )
        for week in WEEKS:
            for name, fn in (
                ("hours_saved", hours_saved),
                ("error_rate", error_rate),
                ("event_volume", event_volume),
            ):
                con.execute(
                    "insert into main.metric_values values (?, ?, '{}', ?, null, null, null, '{}')",
                    [name, week, fn(week)],
                )
                con.execute(
                    "insert into main.metric_values values (?, ?, '{\"segment\":\"smb\"}', ?, null, null, null, '{}')",
                    [name, week, fn(week) / 2],
                )
        # another metric that no ROI line uses: must not be in the pack's metric inputs
        con.execute(
            "insert into main.metric_values values ('latency_p95', '2026-01-05', '{}', 812.5, null, null, null, '{}')"
        )
        con.execute(
            """create table raw.loads (load_id varchar, table_name varchar, file_sha256 varchar,
            started_at timestamp, status varchar)"""
        )
        con.execute(
            "insert into raw.loads values ('L1', 'assumptions', 'abc', '2026-01-02 00:00:00', 'loaded')"
        )
        con.execute(
            """create table raw.assumptions (key varchar, effective_from date, value decimal(18,6),
            unit varchar, owner varchar, source varchar, note varchar, low decimal(18,6),
            high decimal(18,6), _load_id varchar, _row_number bigint,
            system varchar)"""
        )
        n = 0
        for key, versions in sorted(fx.assumptions.items()):
            for effective_from, value in sorted(versions):
                n += 1
                con.execute(
                    "insert into raw.assumptions values (?, ?, ?, ?, 'finance@example.com', "
                    "'FY26 plan', null, null, null, 'L1', ?, null)",
                    [key, effective_from, Decimal(value), UNITS[key], n],
                )
        con.execute(
            """create table staging.assumptions as
            select key, system, effective_from,
                   lead(effective_from) over (partition by key order by effective_from) - 1 as effective_to,
                   value, unit, owner, source, note, low, high, _load_id as load_id
            from raw.assumptions"""
        )
        con.execute(LEDGER_DDL)
        for row in ledger_rows(fx):
            con.execute(
                f"insert into main.roi_ledger values ({', '.join('?' * len(LEDGER_COLUMNS))})",
                [row[k] for k in LEDGER_COLUMNS],
            )
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, fx.warehouse)
    return fx.warehouse


# -- pytest fixtures (a test module takes them with ``fx = ledgerfixtures.fx`` ...) ------------

CLOSED_AT = dt.datetime(2026, 5, 5, 9, 30, tzinfo=dt.UTC)  # the state store's clock


@pytest.fixture
def fx(tmp_path: Path) -> Fixture:
    """The fixture snapshot, written in ``tmp_path``."""
    fixture = Fixture(tmp_path)
    make_snapshot(fixture)
    return fixture


@pytest.fixture
def store(fx: Fixture) -> StateStore:
    """The fixture's state store, its clock at :data:`CLOSED_AT`."""
    return StateStore(fx.settings().state_path, now=lambda: CLOSED_AT)


def raise_hourly_cost(store: StateStore, author: str, why: str) -> None:
    """Record a change of loaded_hourly_cost from 60 to 62.50 USD/hour from 2026-01-01."""
    store.record_assumption_change(
        "loaded_hourly_cost",
        dt.date(2026, 1, 1),
        Decimal("60"),
        Decimal("62.50"),
        "usd/hour",
        author,
        why,
    )


@pytest.fixture
def con(fx: Fixture) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the fixture snapshot."""
    c = open_snapshot(fx.settings())
    yield c
    c.close()
