"""Production readiness of an AI system, evidenced from data, never ticked by hand (issue 15).

Nine items, each pass / fail with the figure that decides it and the page that shows it:

1. ``owners``: every metric with values for the system names an owner in its header.
2. ``thresholds``: drift and data-quality thresholds set and alerting: at least one drift
   metric of the system and one data-quality metric have thresholds and were evaluated in the
   last complete week (so the build's checks ran on them), and no drift metric of the system
   that has a ``scope: each`` style threshold is left without one.
3. ``label_coverage``: the system's label coverage of the last complete week at or above the
   build's ``label_coverage_floor``.
4. ``reviews_signed``: the system's weekly review signed in each of the last 4 complete weeks
   (state store sign-offs with that system).
5. ``output_review``: output-review verdicts on the system's events of the last 4 weeks.
6. ``incidents``: the incident process is measured: the system has incidents attributed,
   every one has a time to detect and at least one is resolved (MTTD / MTTR known).
7. ``inference_budget``: the projected inference cost at production volume with x3 headroom
   (``production_events_per_week`` x the last complete week's cost per inference x 3) within
   ``inference_budget_per_week``.
8. ``freshness``: hours from the system's newest event to the build's as_of within its
   ``freshness_sla_hours``.
9. ``rollback``: a rollback target recorded in the register.

A system is ready when every item passes. The snapshot part (:func:`snapshot_evidence`) is
cached per build; sign-offs and verdicts come from the state store on every run
(:func:`scorecard`).

>>> item = ReadinessItem("rollback", "Rollback target recorded", True, "v1.4", "app_pages/data.py", {})
>>> item.mark
'✅'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from outcomes.app import queries
from outcomes.app.views.snapshot_cells import has_table
from outcomes.app.views.systems import SystemVersion
from outcomes.store.state_signoffs import SignOff
from outcomes.store.state_verdicts import OutputVerdict

HEADROOM = Decimal(3)
REVIEW_WEEKS = 4
QUERIES = (
    "readiness_metric_owners",
    "readiness_thresholds",
    "readiness_incidents",
    "readiness_freshness",
    "readiness_setting",
    "readiness_verdict_events",
    "portfolio_system_values",
)
TITLES = {
    "owners": "An owner named for every metric",
    "thresholds": "Drift and data-quality thresholds set and alerting",
    "label_coverage": "Label coverage above the floor",
    "reviews_signed": f"Weekly review signed in each of the last {REVIEW_WEEKS} weeks",
    "output_review": "Output review running",
    "incidents": "Incident process measured (MTTD / MTTR)",
    "inference_budget": "Inference cost at production volume x3 within budget",
    "freshness": "Data freshness within its SLA",
    "rollback": "Rollback target recorded",
}
# where each item's evidence is shown: page file and the query parameters to add to ?system=
LINKS: dict[str, tuple[str, dict[str, str]]] = {
    "owners": ("app_pages/catalog.py", {}),
    "thresholds": ("app_pages/weekly_review.py", {}),
    "label_coverage": ("app_pages/overview.py", {"overview_metric": "label_coverage"}),
    "reviews_signed": ("app_pages/weekly_review.py", {}),
    "output_review": ("app_pages/weekly_review.py", {}),
    "incidents": ("app_pages/overview.py", {"overview_metric": "mean_time_to_detect"}),
    "inference_budget": ("app_pages/overview.py", {"overview_metric": "cost_per_inference"}),
    "freshness": ("app_pages/data.py", {}),
    "rollback": ("app_pages/portfolio.py", {}),
}


@dataclass(frozen=True)
class ReadinessItem:
    """One item of the scorecard: pass / fail, its evidence and where it is shown."""

    key: str
    title: str
    passed: bool
    evidence: str
    page: str  # app_pages/<page>.py
    query: dict[str, str] = field(default_factory=dict)  # query parameters of the link

    @property
    def mark(self) -> str:
        return "✅" if self.passed else "❌"


@dataclass(frozen=True)
class SnapshotEvidence:
    """What the snapshot says about a system's readiness (cached per build)."""

    system: str
    week: dt.date
    items: tuple[ReadinessItem, ...]


def _item(key: str, system: str, passed: bool, evidence: str) -> ReadinessItem:
    page, extra = LINKS[key]
    return ReadinessItem(key, TITLES[key], passed, evidence, page, {"system": system, **extra})


def _money(value: Decimal, currency: str = "") -> str:
    text = f"{value.quantize(Decimal('0.01')):,}"
    return f"{text} {currency}".strip()


def owners_item(system: str, rows: list[tuple[Any, ...]]) -> ReadinessItem:
    """Item 1 from ``readiness_metric_owners`` rows (metric, title, kind, owner).

    >>> owners_item("s", [("a", "A", "model", "x@e"), ("b", "B", "cost", None)]).evidence
    '1 of 2 metrics name an owner; none: b'
    """
    missing = [r[0] for r in rows if not r[3]]
    if not rows:
        return _item("owners", system, False, "no metric has values for this system")
    text = f"{len(rows) - len(missing)} of {len(rows)} metrics name an owner"
    if missing:
        text += "; none: " + ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
    return _item("owners", system, not missing, text)


def thresholds_item(system: str, rows: list[tuple[Any, ...]], week: dt.date) -> ReadinessItem:
    """Item 2 from ``readiness_thresholds`` rows (metric, kind, has_thresholds, evaluated,
    alerts_4_weeks).

    >>> rows = [("drift_psi", "drift", True, True, 3), ("dq_null_rate", "quality", True, True, 0)]
    >>> thresholds_item("s", rows, dt.date(2026, 11, 9)).passed
    True
    >>> thresholds_item("s", rows[:1], dt.date(2026, 11, 9)).evidence
    'drift: 1 of 1 metrics with thresholds, 1 evaluated in the week of 2026-11-09 (3 alerts in 4 weeks); data quality: 0 of 0 metrics with thresholds, 0 evaluated in the week of 2026-11-09 (0 alerts in 4 weeks)'
    """
    parts = []
    passed = True
    for kind, label in (("drift", "drift"), ("quality", "data quality")):
        mine = [r for r in rows if r[1] == kind]
        with_thresholds = [r for r in mine if r[2]]
        live = [r for r in with_thresholds if r[3]]
        alerts = sum(int(r[4] or 0) for r in mine)
        passed = passed and bool(live)
        parts.append(
            f"{label}: {len(with_thresholds)} of {len(mine)} metrics with thresholds, "
            f"{len(live)} evaluated in the week of {week} ({alerts} alerts in 4 weeks)"
        )
    return _item("thresholds", system, passed, "; ".join(parts))


def label_coverage_item(system: str, coverage: float | None, floor: float | None) -> ReadinessItem:
    """Item 3.

    >>> label_coverage_item("s", 0.12, 0.2).evidence
    'label coverage 12.0% against a floor of 20.0% (last complete week)'
    """
    if coverage is None:
        return _item(
            "label_coverage", system, False, "no label coverage for the last complete week"
        )
    if floor is None:
        return _item("label_coverage", system, False, "no label_coverage_floor in the build")
    return _item(
        "label_coverage",
        system,
        coverage >= floor,
        f"label coverage {coverage:.1%} against a floor of {floor:.1%} (last complete week)",
    )


def incidents_item(system: str, row: tuple[Any, ...] | None) -> ReadinessItem:
    """Item 6 from ``readiness_incidents`` (incidents, detected, resolved, mttd, mttr): the
    process is measured when the system has incidents, every one has a detection time and
    at least one is resolved (an open incident has no time to resolve yet: it is shown, it
    does not fail the item).

    >>> incidents_item("s", (3, 3, 2, 90.0, 600.0)).evidence
    '3 incidents (1 open), every one with a detection time: MTTD 1.5 h, MTTR 10.0 h'
    >>> incidents_item("s", (0, 0, 0, None, None)).passed
    False
    >>> incidents_item("s", (2, 1, 2, 60.0, 60.0)).evidence
    '2 incidents: 1 without a detection time (MTTD unknown)'
    """
    incidents, detected, resolved, mttd, mttr = row or (0, 0, 0, None, None)
    if not incidents:
        return _item(
            "incidents", system, False, "no incident attributed to this system: MTTD / MTTR unknown"
        )
    if detected < incidents:
        return _item(
            "incidents",
            system,
            False,
            f"{incidents} incidents: {incidents - detected} without a detection time "
            "(MTTD unknown)",
        )
    if not resolved or mttr is None:
        return _item(
            "incidents", system, False, f"{incidents} incidents, none resolved: MTTR unknown"
        )
    still_open = f" ({incidents - resolved} open)" if resolved < incidents else ""
    return _item(
        "incidents",
        system,
        True,
        f"{incidents} incidents{still_open}, every one with a detection time: "
        f"MTTD {mttd / 60:.1f} h, MTTR {mttr / 60:.1f} h",
    )


def budget_item(
    system: str, version: SystemVersion | None, cost_per_inference: float | None, currency: str
) -> ReadinessItem:
    """Item 7: volume x cost per inference x 3 against the weekly budget (exact decimals).

    >>> v = SystemVersion("s", "pilot", None, "o", None, 10000, Decimal("100"), 24.0, None)
    >>> budget_item("s", v, 0.002, "USD").evidence
    '10,000 events/week x 0.002 per inference x 3 headroom = 60.00 USD/week, budget 100.00 USD/week'
    """
    if version is None or version.production_events_per_week is None:
        return _item(
            "inference_budget", system, False, "no production_events_per_week in the register"
        )
    if version.inference_budget_per_week is None:
        return _item(
            "inference_budget", system, False, "no inference_budget_per_week in the register"
        )
    if cost_per_inference is None:
        return _item(
            "inference_budget", system, False, "no cost per inference in the last complete week"
        )
    unit = Decimal(repr(cost_per_inference))
    projected = Decimal(version.production_events_per_week) * unit * HEADROOM
    budget = version.inference_budget_per_week
    return _item(
        "inference_budget",
        system,
        projected <= budget,
        f"{version.production_events_per_week:,} events/week x {unit:.4g} per inference x "
        f"{HEADROOM} headroom = {_money(projected, currency)}/week, budget "
        f"{_money(budget, currency)}/week",
    )


def freshness_item(
    system: str, version: SystemVersion | None, age_hours: float | None
) -> ReadinessItem:
    """Item 8.

    >>> v = SystemVersion("s", "pilot", None, "o", None, None, None, 48.0, None)
    >>> freshness_item("s", v, 36.5).evidence
    'newest event 36.5 h before the build, SLA 48 h'
    """
    sla = version.freshness_sla_hours if version else None
    if sla is None:
        return _item("freshness", system, False, "no freshness_sla_hours in the register")
    if age_hours is None:
        return _item("freshness", system, False, "no event of this system (or no build as_of)")
    return _item(
        "freshness",
        system,
        age_hours <= sla,
        f"newest event {age_hours:.1f} h before the build, SLA {sla:g} h",
    )


def rollback_item(system: str, version: SystemVersion | None) -> ReadinessItem:
    """Item 9 (the target is text from the register: the page shows it as text)."""
    target = (version.rollback_target or "").strip() if version else ""
    if not target:
        return _item("rollback", system, False, "no rollback_target in the register")
    return _item("rollback", system, True, f"rollback target: {target}")


def _one(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any]) -> tuple | None:
    found = queries.rows(con, name, params)
    return found[0] if found else None


def snapshot_evidence(
    con: duckdb.DuckDBPyConnection,
    system: str,
    week: dt.date,
    version: SystemVersion | None,
    currency: str = "USD",
) -> SnapshotEvidence:
    """Items 1-3 and 6-9 of ``system`` for the last complete ``week`` (see the module doc)."""
    owners = owners_item(system, queries.rows(con, "readiness_metric_owners", {"system": system}))
    thresholds = thresholds_item(
        system,
        queries.rows(con, "readiness_thresholds", {"system": system, "week": week}),
        week,
    )
    values = {
        (m, s): v
        for m, s, v, _ in queries.rows(
            con,
            "portfolio_system_values",
            {"metrics": ["label_coverage", "cost_per_inference"], "week": week},
        )
    }
    floor_row = _one(con, "readiness_setting", {"key": "label_coverage_floor"})
    floor = float(floor_row[0]) if floor_row and floor_row[0] is not None else None
    incidents = (
        _one(con, "readiness_incidents", {"system": system, "week": week})
        if _has_column(con, "incidents", "system")
        else None
    )
    fresh = _one(con, "readiness_freshness", {"system": system})
    return SnapshotEvidence(
        system,
        week,
        (
            owners,
            thresholds,
            label_coverage_item(system, values.get(("label_coverage", system)), floor),
            incidents_item(system, incidents),
            budget_item(system, version, values.get(("cost_per_inference", system)), currency),
            freshness_item(system, version, fresh[1] if fresh else None),
            rollback_item(system, version),
        ),
    )


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Whether ``staging.<table>`` has ``column`` (a snapshot built before systems has not)."""
    if not has_table(con, "staging", table):
        return False
    cur = con.cursor()
    try:
        return column in {r[0] for r in cur.execute(f"describe staging.{table}").fetchall()}
    finally:
        cur.close()


def verdict_systems(con: duckdb.DuckDBPyConnection, event_ids: tuple[str, ...]) -> dict[str, int]:
    """How many of ``event_ids`` (events with a verdict) belong to each system."""
    if not event_ids:
        return {}
    rows = queries.rows(con, "readiness_verdict_events", {"event_ids": list(event_ids)})
    return {s: int(n) for s, n in rows if s is not None}


def review_weeks(week: dt.date) -> tuple[dt.date, ...]:
    """The last :data:`REVIEW_WEEKS` complete weeks up to ``week``, oldest first.

    >>> review_weeks(dt.date(2026, 11, 9))[0]
    datetime.date(2026, 10, 19)
    """
    return tuple(week - dt.timedelta(weeks=n) for n in range(REVIEW_WEEKS - 1, -1, -1))


def reviews_item(system: str, week: dt.date, signoffs: Iterable[SignOff]) -> ReadinessItem:
    """Item 4: a sign-off of the system in each of the last 4 weeks.

    >>> at = dt.datetime(2026, 11, 12, tzinfo=dt.UTC)
    >>> s = [SignOff(1, dt.date(2026, 11, 9), "a", "", at, system="x")]
    >>> reviews_item("x", dt.date(2026, 11, 9), s).evidence
    'signed 1 of the last 4 weeks; not signed: 2026-10-19, 2026-10-26, 2026-11-02'
    """
    weeks = review_weeks(week)
    signed = {s.week_start for s in signoffs if s.system == system}
    missing = [w for w in weeks if w not in signed]
    text = f"signed {len(weeks) - len(missing)} of the last {len(weeks)} weeks"
    if missing:
        text += "; not signed: " + ", ".join(w.isoformat() for w in missing)
    return _item("reviews_signed", system, not missing, text)


def output_review_item(
    system: str, week: dt.date, verdicts: Iterable[OutputVerdict], counts: Mapping[str, int]
) -> ReadinessItem:
    """Item 5: verdicts on the system's events of the last 4 weeks (``counts`` from
    :func:`verdict_systems` of those verdicts' events).

    >>> output_review_item("x", dt.date(2026, 11, 9), [], {"x": 12}).evidence
    '12 outputs of this system judged in the last 4 weeks'
    """
    del verdicts  # counted by the snapshot (which events are the system's)
    judged = int(counts.get(system, 0))
    return _item(
        "output_review",
        system,
        judged > 0,
        f"{judged} outputs of this system judged in the last {REVIEW_WEEKS} weeks",
    )


def recent_verdicts(verdicts: Iterable[OutputVerdict], week: dt.date) -> tuple[str, ...]:
    """The event ids judged for a week among the last 4 weeks up to ``week``, sorted."""
    weeks = set(review_weeks(week))
    return tuple(sorted({v.event_id for v in verdicts if v.week_start in weeks}))


def scorecard(
    evidence: SnapshotEvidence,
    signoffs: Iterable[SignOff],
    verdicts: Iterable[OutputVerdict],
    verdict_counts: Mapping[str, int],
) -> tuple[ReadinessItem, ...]:
    """The nine items in the module doc's order."""
    items = {i.key: i for i in evidence.items}
    items["reviews_signed"] = reviews_item(evidence.system, evidence.week, signoffs)
    items["output_review"] = output_review_item(
        evidence.system, evidence.week, verdicts, verdict_counts
    )
    return tuple(items[k] for k in TITLES)


def is_ready(items: Iterable[ReadinessItem]) -> bool:
    """Ready for production: every item passes (and there is at least one)."""
    found = list(items)
    return bool(found) and all(i.passed for i in found)
