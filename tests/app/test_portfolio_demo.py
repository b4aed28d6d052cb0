"""The portfolio over the real demo (issue 15): three systems, per-system money adding up to
the company ledger exactly, and readiness that tells the systems apart once the demo's
reviews are in the state store."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from outcomes.app.demo_reviews import seed_demo_reviews
from outcomes.app.views import portfolio
from outcomes.roi.system_summary import system_summaries
from outcomes.store.snapshot import open_snapshot
from outcomes.store.state import StateStore
from tests.app.portfolio_snapshot import scorecards

SYSTEMS = ["contract-summariser", "invoice-matcher", "ticket-assistant"]


@pytest.fixture
def con(demo_settings):
    con = open_snapshot(demo_settings)
    yield con
    con.close()


def test_three_systems_and_money_that_adds_up_to_the_company_ledger(con) -> None:
    snap = portfolio.portfolio_snapshot(con)
    assert [r.system for r in snap.rows] == [*SYSTEMS, None]
    assert snap.has_system_ledger, "the demo's ROI ledger has a system column"
    company = next(r for r in snap.rows if r.system is None).money
    total = con.execute(
        "select sum(amount) filter (where category = 'benefit') - "
        "sum(amount) filter (where category = 'cost') from main.roi_ledger where week_start <= ?",
        [snap.week],
    ).fetchall()[0][0]
    assert company.net_value == Decimal(total)
    assert sum(r.money.net_value for r in snap.rows if r.system) == company.net_value
    by = {r.system: r for r in snap.rows}
    assert by["contract-summariser"].money.net_value < 0  # the pilot that does not pay off


def test_the_demo_reviews_make_the_review_items_differ(con, tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite")
    assert seed_demo_reviews(con, store) > 0
    assert seed_demo_reviews(con, store) == 0  # idempotent
    snap = portfolio.portfolio_snapshot(con)
    cards = scorecards(con, snap, store)
    passed = {system: {i.key for i in items if i.passed} for system, items in cards.items()}
    assert "reviews_signed" in passed["ticket-assistant"]
    assert "output_review" in passed["ticket-assistant"]
    assert "reviews_signed" not in passed["invoice-matcher"]  # its review lapsed
    assert {"reviews_signed", "output_review", "rollback"}.isdisjoint(passed["contract-summariser"])
    assert "inference_budget" not in passed["contract-summariser"]  # big token counts
    # the healthy production system passes every item; the other two do not
    every = {i.key for i in cards["ticket-assistant"]}
    assert passed["ticket-assistant"] == every, every - passed["ticket-assistant"]
    assert passed["invoice-matcher"] != every and passed["contract-summariser"] != every


def test_the_portfolio_figures_are_the_roi_packages_per_system_summaries(con) -> None:
    snap = portfolio.portfolio_snapshot(con)
    assert snap.has_system_ledger, "the demo's ROI ledger has a system column"
    mine = {r.system or "": r for r in snap.rows}
    for theirs in system_summaries(con, snap.week):
        row = mine[theirs.system]
        assert row.money.net_value == theirs.net_value, theirs.system
        assert row.money.roi == theirs.roi
        assert row.money.payback_week == theirs.payback_week
        assert (row.roi_low, row.roi_high) == tuple(
            sorted(r for r in (theirs.roi_low, theirs.roi_high) if r is not None)
        )
