"""A three-system ROI project written by hand (issue 15): the source rows as Python data, the
same rows ingested and built through the real pipeline, and an independent Python computation
of every figure the ledger and the cost allocation should hold (integers and Decimal only).

Calendar as tests/roifixtures.py (UTC, Monday weeks, the build runs on Tue 2026-03-24):
PRE 02-23 (no events anywhere), W1 03-02, W2 03-09, W3 03-16, W4 03-23 (current, partial).

Systems: alpha (production), beta (pilot), gamma (pilot, retired from 2026-03-16).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from outcomes.build.full import build_snapshot
from outcomes.config import Settings
from outcomes.ingest.load import ingest_path
from outcomes.store.snapshot import open_file
from tests.roifixtures import (
    AS_OF,
    COST_COLUMNS,
    PRE,
    W1,
    W2,
    W3,
    W4,
    settings_for,
    write_activity_sources,
    write_csv,
)

D = Decimal
WEEKS = (PRE, W1, W2, W3, W4)
SYSTEMS_CSV = [  # system, effective_from, stage
    ("alpha", "2026-01-01", "production"),
    ("beta", "2026-01-01", "pilot"),
    ("gamma", "2026-01-01", "pilot"),
    ("gamma", "2026-03-16", "retired"),
]
EVENTS = [  # event_id, occurred_at, system, cost_usd, labelled correct (None: unlabelled)
    ("a1", "2026-03-03 10:00:00", "alpha", "0.010000", True),
    ("a2", "2026-03-03 11:00:00", "alpha", "0.020000", False),
    ("a3", "2026-03-04 10:00:00", "alpha", "0.030000", True),
    ("b1", "2026-03-05 10:00:00", "beta", "0.500000", True),
    ("a4", "2026-03-10 10:00:00", "alpha", "0.010000", True),
    ("a5", "2026-03-10 11:00:00", "alpha", "0.010000", None),
    ("b2", "2026-03-11 10:00:00", "beta", "0.400000", False),
    ("b3", "2026-03-11 11:00:00", "beta", "0.400000", True),
    ("g1", "2026-03-12 10:00:00", "gamma", "0.000700", True),
    ("a6", "2026-03-17 10:00:00", "alpha", "0.100000", True),
]
ITEMS = [  # item_id, closed_at, system (None: not assisted), handle_minutes
    ("i1", "2026-03-03 12:00:00", "alpha", 30),
    ("i2", "2026-03-04 12:00:00", "alpha", 35),
    ("i3", "2026-03-05 12:00:00", "beta", 50),
    ("i4", "2026-03-05 13:00:00", None, 40),
    ("i5", "2026-03-10 12:00:00", "alpha", 10),
    ("i6", "2026-03-11 12:00:00", "beta", 70),  # slower than beta's baseline of 60
    ("i7", "2026-03-18 12:00:00", "alpha", 5),
]
COSTS = [  # cost_id, period_start, period_end, category, amount, system, allocate_by
    ("own-infra", "2026-03-02", "2026-03-15", "infrastructure", "140.00", "alpha", None),
    ("shared-infra", "2026-03-02", "2026-03-22", "infrastructure", "100.00", None, "events"),
    ("shared-people", "2026-03-02", "2026-03-15", "people", "77.77", None, "hours_saved"),
    ("shared-licence", "2026-03-02", "2026-03-29", "licence", "40.00", None, "equal"),
    ("pre-people", "2026-02-23", "2026-03-01", "people", "10.01", None, None),
    ("beta-licence", "2026-03-09", "2026-03-15", "licence", "7.00", "beta", "equal"),
]
ASSUMPTIONS = [  # key, system, effective_from, value, low, high
    ("loaded_hourly_cost", None, "2026-01-01", "60", "50", "70"),
    ("loaded_hourly_cost", "alpha", "2026-03-09", "80", "75", "90"),
    ("baseline_handle_minutes", None, "2026-01-01", "45", "40", "50"),
    ("baseline_handle_minutes", "beta", "2026-01-01", "60", "55", "65"),
    ("baseline_error_rate", None, "2026-01-01", "0.30", "0.25", "0.35"),
    ("cost_per_error", None, "2026-01-01", "100", "80", "120"),
    ("build_cost", None, "2026-01-01", "5200", "", ""),
    ("build_cost", "beta", "2026-01-01", "2600", "", ""),
    ("build_amortisation_months", None, "2026-01-01", "12", "", ""),
]
CURRENT_WEEK = W4  # cost lines after it are left out


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def write_sources(root: Path) -> dict[str, Path]:
    src = root / "src"
    events = [
        [e, t, s, "v1", "smb", "suggest", "p", 0.5, 100.0, 10, 5, cost, "u1", None, "c1"]
        for e, t, s, cost, _ in EVENTS
    ]
    labels = [
        [e, t.replace("10:00", "20:00").replace("11:00", "21:00"), ok, True, False, "r"]
        for e, t, _, _, ok in EVENTS
        if ok is not None
    ]
    items = []
    for item_id, closed, system, minutes in ITEMS:
        opened = (dt.datetime.fromisoformat(closed) - dt.timedelta(hours=1)).isoformat(sep=" ")
        items.append(
            [item_id, opened, closed, "t", "c1", system is not None, minutes, "resolved", system]
        )
    costs = [
        [c, s, e, cat, amount, "USD", "v", f"INV-{c}", system, by]
        for c, s, e, cat, amount, system, by in COSTS
    ]
    return {
        "systems": write_csv(
            src / "systems.csv",
            ["system", "effective_from", "stage", "owner"],
            [[s, f, stage, "owner@example.com"] for s, f, stage in SYSTEMS_CSV],
        ),
        **write_activity_sources(
            src,
            events=events,
            labels=labels,
            items=items,
            costs=costs,
            cost_columns=[*COST_COLUMNS, "system", "allocate_by"],
        ),
        "assumptions": write_csv(
            src / "assumptions.csv",
            ["key", "system", "effective_from", "value", "unit", "owner", "source", "low", "high"],
            [
                [k, s, f, v, "u", "o@example.com", "plan", lo, hi]
                for k, s, f, v, lo, hi in ASSUMPTIONS
            ],
        ),
    }


@dataclass
class SystemsProject:
    settings: Settings
    ok: bool

    def connect(self) -> duckdb.DuckDBPyConnection:
        return open_file(self.settings.warehouse_path)


def build_project(root: Path) -> SystemsProject:
    settings = settings_for(root)
    for table, path in write_sources(root).items():
        results = ingest_path(path, table, settings, loaded_by="pytest")
        assert all(r.rows_quarantined == 0 for r in results), [r.message for r in results]
    result = build_snapshot(settings, as_of=AS_OF)
    return SystemsProject(settings, result.ok)


# -- the independent computation (integers and Decimal) --------------------------------------


def cost_week_cents() -> dict[tuple[str, dt.date], int]:
    """Each cost line's cents per week: pro rata by calendar day, largest remainder, earliest."""
    out: dict[tuple[str, dt.date], int] = {}
    for cost_id, start, end, _cat, amount, _s, _b in COSTS:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        days: dict[dt.date, int] = defaultdict(int)
        day = first
        while day <= last:
            days[week_of(day)] += 1
            day += dt.timedelta(days=1)
        out.update(
            split_cents(
                int(D(amount) * 100),
                {w: n for w, n in days.items()},
                key=lambda w: w,
                prefix=cost_id,
            )
        )
    return out


def split_cents(cents, weights, *, key, prefix=None):
    """``cents`` split by integer ``weights`` (largest remainder, ties by ``key``)."""
    total = sum(weights.values())
    sign = -1 if cents < 0 else 1
    base = {k: abs(cents) * w // total for k, w in weights.items()}
    rem = {k: abs(cents) * w % total for k, w in weights.items()}
    left = abs(cents) - sum(base.values())
    for k in sorted(weights, key=lambda k: (-rem[k], key(k)))[:left]:
        base[k] += 1
    return {((prefix, k) if prefix is not None else k): sign * v for k, v in base.items()}


def assumption_for(key: str, system: str, week: dt.date) -> Decimal | None:
    for scope in (system, None):
        found = [
            (f, v)
            for k, s, f, v, _, _ in ASSUMPTIONS
            if k == key and s == scope and dt.date.fromisoformat(f) <= week
        ]
        if found:
            return D(max(found)[1])
    return None


def stage_at(system: str, week: dt.date) -> str | None:
    found = [
        (f, st) for s, f, st in SYSTEMS_CSV if s == system and dt.date.fromisoformat(f) <= week
    ]
    return max(found)[1] if found else None


def event_week(t: str) -> dt.date:
    return week_of(dt.date.fromisoformat(t[:10]))


def drivers(week: dt.date, by: str) -> dict[str, int]:
    if by == "events":
        out: dict[str, int] = defaultdict(int)
        for _e, t, s, _c, _ok in EVENTS:
            if event_week(t) == week:
                out[s] += 1
        return dict(out)
    if by == "hours_saved":
        minutes: dict[str, Decimal] = defaultdict(Decimal)
        for _i, closed, s, m in ITEMS:
            if s is not None and event_week(closed) == week:
                minutes[s] += assumption_for("baseline_handle_minutes", s, week) - m
        return {s: int(v * 10**10) for s, v in minutes.items() if v > 0}
    return {}


def allocations() -> dict[tuple[str, dt.date, str], int]:
    """(cost_id, week, system) -> cents, computed here without SQL."""
    known = sorted({s for _e, _t, s, _c, _ok in EVENTS} | {s for s, _f, _st in SYSTEMS_CSV})
    out: dict[tuple[str, dt.date, str], int] = {}
    for (cost_id, week), cents in cost_week_cents().items():
        _c, _s, _e, _cat, _a, system, by = next(c for c in COSTS if c[0] == cost_id)
        if system is not None:
            out[(cost_id, week, system)] = cents
            continue
        weights = {s: w for s, w in drivers(week, by or "events").items() if w > 0}
        if not weights:
            weights = {s: 1 for s in known if stage_at(s, week) not in (None, "retired")}
        for s, v in split_cents(cents, weights, key=lambda s: s).items():
            if v:
                out[(cost_id, week, s)] = v
    return out


def company_costs() -> dict[tuple[dt.date, str], Decimal]:
    """(week, ledger line) -> the company's cost, from the source cost rows (weeks up to the
    current one), and inference from the events' cost_usd."""
    lines = {"infrastructure": "infrastructure", "people": "people", "licence": "licences"}
    out: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    for (cost_id, week), cents in cost_week_cents().items():
        category = next(c[3] for c in COSTS if c[0] == cost_id)
        if category in lines and week <= CURRENT_WEEK:
            out[(week, lines[category])] += D(cents) / 100
    for _e, t, _s, cost, _ok in EVENTS:
        out[(event_week(t), "inference")] += D(cost)
    return dict(out)


def q10(value: Decimal) -> Decimal:
    return value.quantize(D("1E-10"), rounding=ROUND_HALF_UP)


def company_benefits() -> dict[tuple[dt.date, str], Decimal]:
    """(week, line) -> the company's benefit: each system's figure from the source rows and
    its assumptions, summed over systems."""
    out: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    per: dict[tuple[dt.date, str], list[int]] = defaultdict(lambda: [0, 0])  # items, minutes
    for _i, closed, s, m in ITEMS:
        if s is not None:
            k = (event_week(closed), s)
            per[k][0] += 1
            per[k][1] += m
    for (week, s), (n, minutes) in per.items():
        base = assumption_for("baseline_handle_minutes", s, week)
        rate = assumption_for("loaded_hourly_cost", s, week)
        out[(week, "time_saved")] += q10((base * n - minutes) / 60 * rate)
    labelled: dict[tuple[dt.date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for _e, t, s, _c, ok in EVENTS:
        k = (event_week(t), s)
        labelled[k][2] += 1
        if ok is not None:
            labelled[k][0] += 1
            labelled[k][1] += 0 if ok else 1
    for (week, s), (n_labelled, wrong, volume) in labelled.items():
        if not n_labelled:
            continue
        rate = q10(D(wrong) / D(n_labelled))
        value = (
            (assumption_for("baseline_error_rate", s, week) - rate)
            * volume
            * (assumption_for("cost_per_error", s, week))
        )
        out[(week, "errors_avoided")] += q10(value)
    return dict(out)
