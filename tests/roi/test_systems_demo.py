"""The demo's ROI ledger per AI system (issue 15): three systems, every shared cost allocated to
the cent, and per-system ledgers adding up to the company's figures computed here from the
cleaned source rows (staging.costs, staging.ai_events), not from the ledger's own SQL."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from outcomes.roi.system_summary import system_summaries
from outcomes.store.snapshot import open_file
from tests.roi.systemfixtures import split_cents

SYSTEMS = {"ticket-assistant", "invoice-matcher", "contract-summariser"}
COST_LINES = {"infrastructure": "infrastructure", "people": "people", "licence": "licences"}


@pytest.fixture
def con(demo_settings):
    c = open_file(demo_settings.warehouse_path)
    yield c
    c.close()


def _weeks_of(start: dt.date, end: dt.date, week_start: int) -> dict[dt.date, int]:
    """Days of ``start..end`` per reporting week (weeks start on ISO weekday ``week_start``)."""
    days: dict[dt.date, int] = defaultdict(int)
    day = start
    while day <= end:
        days[day - dt.timedelta(days=(day.isoweekday() - week_start + 7) % 7)] += 1
        day += dt.timedelta(days=1)
    return dict(days)


def test_the_demo_ledger_has_three_systems_and_the_company_is_their_sum(con):
    ledger = con.execute(
        "select week_start, system, line_id, amount from main.roi_ledger"
    ).fetchall()
    assert {s for _, s, _, _ in ledger} == SYSTEMS
    summed: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    for week, _s, line, amount in ledger:
        summed[(week, line)] += amount
    (current,) = con.execute("select max(week_start) from staging.weeks").fetchone()
    (week_start,) = con.execute(
        "select value::integer from main.build_settings where key = 'week_start'"
    ).fetchone()
    # costs: each cost line's cents spread over its weeks here, in Python
    expected: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    for start, end, category, amount in con.execute(
        "select period_start, period_end, category, amount from staging.costs"
    ).fetchall():
        if category not in COST_LINES:
            continue
        spread = split_cents(int(amount * 100), _weeks_of(start, end, week_start), key=lambda w: w)
        for week, cents in spread.items():
            if week <= current:
                expected[(week, COST_LINES[category])] += Decimal(cents) / 100
    for week, cost in con.execute(
        "select week_start, sum(cost_usd) from staging.ai_events group by 1"
    ).fetchall():
        expected[(week, "inference")] = cost
    for key, amount in expected.items():
        assert summed.get(key, Decimal(0)) == amount, key
    assert {k for k in summed if k[1] in {*COST_LINES.values(), "inference"}} == {
        k for k, v in expected.items() if v != 0 or k in summed
    }


def test_every_shared_cost_is_allocated_to_the_cent(con):
    unmatched = con.execute(
        "select w.cost_id, w.week_start, w.amount, sum(a.amount) from staging.cost_weeks as w "
        "left join staging.cost_allocations as a on a.cost_id = w.cost_id "
        "and a.week_start = w.week_start group by all having sum(a.amount) is distinct from "
        "w.amount and w.amount <> 0"
    ).fetchall()
    assert unmatched == []
    (shared,) = con.execute(
        "select count(*) from staging.cost_allocations where method <> 'own'"
    ).fetchone()
    assert shared > 0  # the demo has shared costs


def test_the_demo_systems_tell_their_stories(con):
    found = {s.system: s for s in system_summaries(con)}
    assert set(found) == {*SYSTEMS, ""}
    assert found["contract-summariser"].net_value < 0  # a pilot that does not pay off
    assert found["ticket-assistant"].net_value > 0 and found["ticket-assistant"].payback_week
    company = found[""]
    assert sum((found[s].net_value for s in SYSTEMS), Decimal(0)) == company.net_value


def test_a_systems_summary_has_its_own_budget_projection(con):
    from outcomes.roi.summary import summarise

    for system in sorted(SYSTEMS):
        s = summarise(con, system=system)
        assert s.projection is not None, system
        (value,) = con.execute(
            "select value from metrics.projected_inference_cost where system = ? "
            "and week_start = ?",
            [system, s.projection.week_start],
        ).fetchone()
        assert s.projection.projected_monthly_cost == Decimal(repr(value))
    company = summarise(con).projection
    assert company is not None and company.events == sum(
        summarise(con, system=x).projection.events for x in SYSTEMS
    )
