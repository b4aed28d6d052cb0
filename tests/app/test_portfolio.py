"""Portfolio and readiness view models over a small hand-built snapshot (issue 15)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from outcomes.app.views import portfolio, portfolio_table, readiness, systems
from outcomes.store.state import StateStore
from outcomes.store.state_alerts import alert_key
from tests.app.portfolio_snapshot import LAST_COMPLETE, WEEKS, build, scorecards


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return build(duckdb.connect())


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / "state.sqlite")


def test_systems_come_from_the_register_and_the_values(con) -> None:
    assert systems.system_names(con) == ["contract-summariser", "ticket-assistant"]
    found = systems.register(con, LAST_COMPLETE)
    assert found["ticket-assistant"].stage == "production"
    assert found["ticket-assistant"].stage_since == dt.date(2026, 3, 2)
    assert found["contract-summariser"].inference_budget_per_week == Decimal("50.00")
    # before the production version, the pilot one is in force
    assert systems.register(con, dt.date(2026, 1, 5))["ticket-assistant"].stage == "pilot"


def test_per_system_money_adds_up_exactly_to_the_company(con) -> None:
    snap = portfolio.portfolio_snapshot(con)
    by = {r.system: r for r in snap.rows}
    assert snap.week == LAST_COMPLETE
    assert list(by) == ["contract-summariser", "ticket-assistant", None]
    weeks = len(WEEKS) - 1
    ta = by["ticket-assistant"].money
    assert ta.benefits == sum(Decimal(f"{100 + 10 * n}.3333333333") for n in range(weeks))
    assert ta.costs == Decimal("50.1111111111") * weeks
    company = by[None].money
    assert company.net_value == sum(r.money.net_value for r in snap.rows if r.system)
    assert company.costs == ta.costs + by["contract-summariser"].money.costs
    assert by["contract-summariser"].money.net_value < 0
    assert by["contract-summariser"].money.payback_week is None
    assert ta.payback_week == WEEKS[0]
    assert len(ta.trend) == weeks


def test_row_values_are_the_system_totals_of_the_last_complete_week(con) -> None:
    by = {r.system: r for r in portfolio.portfolio_snapshot(con).rows}
    assert by["ticket-assistant"].values["adoption_rate"] == 0.62
    assert by[None].values["adoption_rate"] == 0.41
    assert by["contract-summariser"].values["value_at_risk"] == 120.5
    assert by["contract-summariser"].extras["value_at_risk"] == {"low": 80, "high": 150}
    text = portfolio_table.value_at_risk_text(by["contract-summariser"], "USD")
    assert text == "120 USD (80 USD – 150 USD)"


def test_readiness_passes_for_the_healthy_system_with_reviews(con, store) -> None:
    for week in readiness.review_weeks(LAST_COMPLETE):
        store.sign_off(week, "ops@example.com", system="ticket-assistant")
    store.record_verdict("e2", dt.date(2026, 11, 2), "correct", "ops@example.com")
    snap = portfolio.portfolio_snapshot(con)
    items = {i.key: i for i in scorecards(con, snap, store)["ticket-assistant"]}
    assert list(items) == list(readiness.TITLES)
    failing = {k: i.evidence for k, i in items.items() if not i.passed}
    # cost_per_inference has a blank owner in the fixture: the one failing item
    assert failing == {"owners": "4 of 5 metrics name an owner; none: cost_per_inference"}
    assert items["inference_budget"].evidence.endswith("= 120.00 USD/week, budget 500.00 USD/week")
    assert items["freshness"].evidence == "newest event 16.0 h before the build, SLA 48 h"
    assert items["rollback"].evidence == "rollback target: v1.4"
    assert items["incidents"].evidence.startswith("2 incidents, every one with a detection")
    assert items["output_review"].evidence.startswith("1 outputs")
    assert items["label_coverage"].query == {
        "system": "ticket-assistant",
        "overview_metric": "label_coverage",
    }


def test_readiness_fails_the_pilot_item_by_item(con, store) -> None:
    store.sign_off(LAST_COMPLETE, "ops@example.com", system="contract-summariser")
    store.sign_off(LAST_COMPLETE - dt.timedelta(weeks=1), "ops@example.com")  # company review
    snap = portfolio.portfolio_snapshot(con)
    items = {i.key: i for i in scorecards(con, snap, store)["contract-summariser"]}
    assert {k for k, i in items.items() if i.passed} == {"thresholds"}
    assert items["owners"].evidence == "4 of 5 metrics name an owner; none: cost_per_inference"
    assert "signed 1 of the last 4 weeks" in items["reviews_signed"].evidence
    assert items["label_coverage"].evidence.startswith("label coverage 5.0% against a floor")
    assert items["incidents"].evidence == "1 incidents, none resolved: MTTR unknown"
    assert items["inference_budget"].evidence.endswith("= 300.00 USD/week, budget 50.00 USD/week")
    assert items["freshness"].evidence == "newest event 75.0 h before the build, SLA 24 h"
    assert items["thresholds"].evidence.startswith(
        "drift: 1 of 1 metrics with thresholds, 1 evaluated in the week of 2026-11-09 (1 alerts"
    )
    assert not readiness.is_ready(items.values())


def test_assemble_counts_open_alerts_and_review_status(con, store) -> None:
    snap = portfolio.portfolio_snapshot(con)
    store.acknowledge_alert(
        alert_key("drift_share", LAST_COMPLETE, {"system": "contract-summariser"}),
        "ops@example.com",
        "known",
    )
    store.sign_off(LAST_COMPLETE, "ops@example.com", system="ticket-assistant")
    rows = portfolio.assemble(
        snap,
        store.signoffs_between(LAST_COMPLETE, LAST_COMPLETE),
        store.acknowledgements(),
        scorecards(con, snap, store),
    )
    by = {r.system: r for r in rows}
    assert by["contract-summariser"].alerts == {"alert": 1}
    assert by[None].alerts == {"alert": 1, "warn": 1}  # every open alert of the company
    assert by["ticket-assistant"].review_signed is True
    assert by["contract-summariser"].review_signed is False
    assert by[None].review_signed is False
    table = portfolio_table.table(rows, snap.week, "USD")
    assert table["System"].tolist() == [
        "contract-summariser",
        "ticket-assistant",
        portfolio_table.COMPANY,
    ]
    assert table["Readiness"].tolist()[:2] == [
        "❌ not ready (8 of 9 failing)",
        "❌ not ready (3 of 9 failing)",
    ]
    assert table["Stage"].tolist()[1] == "production since 2026-03-02"
    assert table["ROI page"].tolist() == [
        "roi?system=contract-summariser",
        "roi?system=ticket-assistant",
        "roi",
    ]


def test_a_snapshot_without_a_per_system_ledger_says_so(con) -> None:
    con.execute("alter table main.roi_ledger drop column system")
    snap = portfolio.portfolio_snapshot(con)
    assert not snap.has_system_ledger
    assert "main.roi_ledger.system" in snap.notes[0]


def test_a_systems_review_export_names_the_system_as_text() -> None:
    from outcomes.app.exports.weekly_review import ReviewPack, review_html, review_markdown
    from outcomes.app.views.weekly_review.pack import downloads

    pack = ReviewPack(week=LAST_COMPLETE, system="matcher <img src=x>")
    assert review_markdown(pack).splitlines()[0] == (
        "# Weekly review — matcher \\<img src=x\\> — week of 2026-11-09"
    )
    assert "<h1>Weekly review — matcher &lt;img src=x&gt; — week of 2026-11-09</h1>" in (
        review_html(pack)
    )
    names = [d.file_name for d in downloads(pack)]
    assert names == [
        "weekly-review-matcher-img-src-x-2026-11-09.md",
        "weekly-review-matcher-img-src-x-2026-11-09.html",
    ]


def test_freshness_per_system_against_its_sla(con) -> None:
    frame = systems.system_freshness(con)
    assert frame[["system", "hours_behind_build", "sla_hours", "status"]].values.tolist() == [
        ["contract-summariser", 75.0, 24.0, "late"],
        ["ticket-assistant", 16.0, 48.0, "within SLA"],
    ]
