"""A tiny ROI project written by hand: source CSVs, a register file, a CLI change, a build.

Everything goes through the real pipeline: ``outcomes.ingest.load.ingest_path`` into a tmp raw
store, :func:`outcomes.roi.assumption_changes.set_assumption` into a tmp state store, then
``outcomes.build.full.build_snapshot`` with the build's clock fixed (so the current week is known).

Calendar (UTC, weeks start on Monday; the build runs on Tuesday 2026-03-24, so 2026-03-23 is
the current, partial week):

    2026-02-23  pre-launch: only one day (Sun 03-01) of the people cost line
    2026-03-02  W1  first AI events (go-live, week 1 of staging.weeks)
    2026-03-09  W2
    2026-03-16  W3
    2026-03-23  W4  partial (no events; licence and build amortisation only)

Every figure the tests expect is worked out by hand in tests/roi/test_ledger.py.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, localcontext
from pathlib import Path

import duckdb
import pytest

from outcomes.build.full import build_snapshot
from outcomes.build.objects import BuildResult
from outcomes.config import Settings
from outcomes.ingest.load import ingest_path
from outcomes.roi.assumption_changes import set_assumption
from outcomes.roi.ledger_build import LedgerResult
from outcomes.store.snapshot import open_file

AS_OF = dt.datetime(2026, 3, 24, 12, 0, 0)  # the build's clock (UTC)
LEDGER_LINES = (  # every ledger line a project builds, by line_id
    "build_amortisation",
    "errors_avoided",
    "inference",
    "infrastructure",
    "licences",
    "people",
    "time_saved",
)
PRE, W1, W2, W3, W4 = (dt.date(2026, 2, 23) + dt.timedelta(weeks=k) for k in range(5))

EVENTS = [  # event_id, occurred_at, cost_usd
    ("e01", "2026-03-03 10:00:00", "0.010000"),
    ("e02", "2026-03-03 11:00:00", "0.020000"),
    ("e03", "2026-03-04 10:00:00", "0.030000"),
    ("e04", "2026-03-05 10:00:00", "0.000001"),
    ("e05", "2026-03-10 10:00:00", "0.010000"),
    ("e06", "2026-03-10 11:00:00", "0.010000"),
    ("e07", "2026-03-11 10:00:00", "0.010000"),
    ("e08", "2026-03-12 10:00:00", "0.010000"),
    ("e09", "2026-03-13 10:00:00", "0.010000"),
    ("e10", "2026-03-17 10:00:00", "0.100000"),
    ("e11", "2026-03-17 11:00:00", "0.000500"),
    ("e12", "2026-03-18 10:00:00", "0.000000"),
    ("e13", "2026-03-19 10:00:00", "0.250000"),
]
LABELS = {  # event_id -> correct (unlisted events are unlabelled)
    "e01": True,
    "e02": True,
    "e03": False,
    "e05": True,
    "e06": True,
    "e07": True,
    "e08": False,
    "e10": True,
    "e11": True,
    "e12": True,
    "e13": True,
}
ITEMS = [  # item_id, closed_at, ai_assisted, handle_minutes
    ("i01", "2026-03-03 12:00:00", True, 30),
    ("i02", "2026-03-04 12:00:00", True, 35),
    ("i03", "2026-03-10 12:00:00", True, 5),
    ("i04", "2026-03-11 12:00:00", True, 10),
    ("i05", "2026-03-12 12:00:00", True, 15),
    ("i06", "2026-03-12 13:00:00", False, 10),
    ("i07", "2026-03-17 12:00:00", True, 5),
    ("i08", "2026-03-18 12:00:00", True, 15),
    ("i09", "2026-03-19 12:00:00", True, 20),
]
COSTS = [  # cost_id, period_start, period_end, category, amount
    ("infra-1", "2026-03-02", "2026-03-15", "infrastructure", "140.00"),
    ("infra-2", "2026-03-16", "2026-03-22", "infrastructure", "66.67"),
    ("people-1", "2026-03-01", "2026-03-21", "people", "100.00"),
    ("licence-1", "2026-03-02", "2026-03-29", "licence", "40.00"),
    ("inference-inv", "2026-03-01", "2026-03-31", "inference", "5.00"),
    ("build-inv", "2026-01-05", "2026-02-27", "build", "2600.00"),
]
HEADER = ["key", "effective_from", "value", "unit", "owner", "source", "note", "low", "high"]
# Ingested into raw.assumptions: cost_per_error only here; loaded_hourly_cost is overridden
# by the register file's row of the same key and date.
RAW_ASSUMPTIONS = [
    ["cost_per_error", "2026-01-01", "180", "USD", "ops@example.com", "QA", "", "100", "300"],
    [
        "loaded_hourly_cost",
        "2026-01-01",
        "65",
        "USD/hour",
        "fin@example.com",
        "old",
        "",
        "50",
        "80",
    ],
]
REGISTER = [
    [
        "loaded_hourly_cost",
        "2026-01-01",
        "62.50",
        "USD/hour",
        "fin@example.com",
        "payroll",
        "",
        "50",
        "80",
    ],
    [
        "baseline_handle_minutes",
        "2026-01-01",
        "45",
        "minutes",
        "ops@example.com",
        "time study",
        "",
        "40",
        "50",
    ],
    [
        "baseline_error_rate",
        "2026-01-01",
        "0.30",
        "ratio",
        "ops@example.com",
        "QA sample",
        "",
        "0.25",
        "0.35",
    ],
    ["build_cost", "2026-01-01", "2600", "USD", "fin@example.com", "PRJ-1", "", "2000", "3200"],
    [
        "build_amortisation_months",
        "2026-01-01",
        "12",
        "months",
        "fin@example.com",
        "policy",
        "",
        "6",
        "24",
    ],
    ["monthly_budget", "2026-01-01", "30000", "USD/month", "ml@example.com", "budget", "", "", ""],
    [
        "projected_monthly_volume",
        "2026-01-01",
        "100000",
        "events/month",
        "ops@example.com",
        "plan",
        "",
        "50000",
        "200000",
    ],
    ["headroom", "2026-01-01", "3", "x", "ml@example.com", "policy", "", "2", "5"],
]
CLI_CHANGE = dict(
    key="loaded_hourly_cost",
    value="72",
    why="pay review March 2026",
    author="cfo@example.com",
    effective_from=W2,
)


@dataclass
class Project:
    settings: Settings
    build: BuildResult
    ledger: LedgerResult

    def connect(self) -> duckdb.DuckDBPyConnection:
        return open_file(self.settings.warehouse_path)


def div(a: str, b: str) -> Decimal:
    """``a / b`` with 38 significant digits, as the ROI summary divides."""
    with localcontext() as ctx:
        ctx.prec = 38
        return Decimal(a) / Decimal(b)


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
    return path


def settings_for(root: Path, **overrides: object) -> Settings:
    return Settings(
        raw_path=root / "raw.duckdb",
        warehouse_path=root / "warehouse.duckdb",
        state_path=root / "state.sqlite",
        demo_dir=root / "demo",
        assumptions_file=root / "assumptions.csv",
        timezone="UTC",
        week_start=1,
        currency="USD",
        **overrides,  # type: ignore[arg-type]
    )


EVENT_COLUMNS = [
    "event_id",
    "occurred_at",
    "system",
    "model_version",
    "segment",
    "action_tier",
    "prediction",
    "confidence",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "user_id",
    "work_item_id",
    "customer_id",
]
FEEDBACK_COLUMNS = ["event_id", "labeled_at", "correct", "accepted", "overridden", "reviewer"]
WORK_ITEM_COLUMNS = [
    "item_id",
    "opened_at",
    "closed_at",
    "team",
    "customer_id",
    "ai_assisted",
    "handle_minutes",
    "outcome",
    "system",
]
COST_COLUMNS = [
    "cost_id",
    "period_start",
    "period_end",
    "category",
    "amount",
    "currency",
    "vendor",
    "invoice_ref",
]


def write_activity_sources(
    src: Path,
    *,
    events: list[list[object]],
    labels: list[list[object]],
    items: list[list[object]],
    costs: list[list[object]],
    cost_columns: list[str] = COST_COLUMNS,
) -> dict[str, Path]:
    """The events, feedback, work item and cost CSVs under ``src``, by the table they load."""
    return {
        "ai_events": write_csv(src / "ai_events.csv", EVENT_COLUMNS, events),
        "feedback": write_csv(src / "feedback.csv", FEEDBACK_COLUMNS, labels),
        "work_items": write_csv(src / "work_items.csv", WORK_ITEM_COLUMNS, items),
        "costs": write_csv(src / "costs.csv", cost_columns, costs),
    }


def write_sources(root: Path) -> dict[str, Path]:
    src = root / "src"
    events = [
        [e, t, "triage", "v1", "smb", "suggest", "p", 0.5, 100.0, 10, 5, cost, "u1", None, "c1"]
        for e, t, cost in EVENTS
    ]
    occurred = {e: t for e, t, _ in EVENTS}
    labels = [
        [
            e,
            occurred[e].replace("10:00:00", "20:00:00").replace("11:00:00", "21:00:00"),
            ok,
            True,
            False,
            "r1",
        ]
        for e, ok in LABELS.items()
    ]
    items = []
    for item_id, closed, assisted, minutes in ITEMS:
        opened = (dt.datetime.fromisoformat(closed) - dt.timedelta(hours=1)).isoformat(sep=" ")
        system = "triage" if assisted else None  # the AI system that assisted it
        items.append(
            [item_id, opened, closed, "support", "c1", assisted, minutes, "resolved", system]
        )
    costs = [[c, s, e, cat, amount, "USD", "vendor", f"INV-{c}"] for c, s, e, cat, amount in COSTS]
    return {
        **write_activity_sources(src, events=events, labels=labels, items=items, costs=costs),
        "assumptions": write_csv(src / "assumptions.csv", HEADER, RAW_ASSUMPTIONS),
    }


def make_project(root: Path, *, cli_change: bool = True) -> Settings:
    """Sources ingested, register file written, the CLI change recorded; not built yet."""
    settings = settings_for(root)
    for table, path in write_sources(root).items():
        results = ingest_path(path, table, settings, loaded_by="pytest")
        assert all(r.rows_quarantined == 0 for r in results), [r.message for r in results]
    write_csv(settings.assumptions_file, HEADER, REGISTER)
    if cli_change:
        set_assumption(settings, **CLI_CHANGE)
    return settings


def build_wired(settings: Settings, as_of: dt.datetime = AS_OF) -> tuple[BuildResult, LedgerResult]:
    """``build_snapshot`` with a fixed clock; the ledger's lines as the snapshot holds them."""
    result = build_snapshot(settings, as_of=as_of)
    return result, _ledger_result_from_snapshot(settings)


def _ledger_result_from_snapshot(settings: Settings) -> LedgerResult:
    from outcomes.roi.ledger_build import LineResult

    con = open_file(settings.warehouse_path)
    try:
        counts = dict(
            con.execute("select line_id, count(*) from main.roi_ledger group by 1").fetchall()
        )
    finally:
        con.close()
    lines = tuple(LineResult(k, "ok", v) for k, v in sorted(counts.items()))
    return LedgerResult(lines=lines, rows=sum(counts.values()))


def make_built_project(root: Path, *, cli_change: bool = True) -> Project:
    settings = make_project(root, cli_change=cli_change)
    result, ledger = build_wired(settings)
    return Project(settings, result, ledger)


_BUILT: dict[str, Project] = {}


@pytest.fixture(scope="session")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The hand-worked project, built once per test session (test modules share it by
    assigning this fixture, so pytest sees one definition per module: the cache keeps it one
    build)."""
    if "golden" not in _BUILT:
        _BUILT["golden"] = make_built_project(tmp_path_factory.mktemp("roi-golden"))
    return _BUILT["golden"]


@pytest.fixture
def golden_con(golden: Project):
    con = golden.connect()
    yield con
    con.close()
