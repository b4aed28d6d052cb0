"""ROI summary of the hand-worked project (tests/roifixtures.py; amounts worked in test_ledger.py).

Weekly figures by hand (benefits - costs = net; cumulative net from the first ledger week):

    02-23  benefits 0;                                costs 4.76 (people)
           net -4.76                                  cumulative -4.76
    W1     benefits 26.0416666667 - 23.999999976 = 2.0416666907
           costs 50 + 0.060001 + 70 + 10 + 33.34 = 163.400001
           net -161.3583343093                        cumulative -166.1183343093
    W2     benefits 126 + 45 = 171; costs 50 + 0.05 + 70 + 10 + 33.33 = 163.38
           net 7.62                                   cumulative -158.4983343093
    W3     benefits 114 + 216 = 330; costs 50 + 0.3505 + 66.67 + 10 + 28.57 = 155.5905
           net 174.4095                               cumulative 15.9111656907  -> payback W3
    W4     (partial) benefits 0; costs 50 + 10 = 60
           net -60                                    cumulative -44.0888343093

total benefits 503.0416666907, total costs 547.130501, net -44.0888343093 (display -44.09),
ROI = -44.0888343093 / 547.130501 (about -8.06%).
Run rate: the 4 complete weeks 02-23..W3 (W4 is partial): net 15.9111656907 x 13 = 206.8451539791.
Projection from W3 (the last complete week): 0.3505 / 4 events = 0.087625 per inference
x 100000 events x headroom 3 = 26287.5 a month; budget 30000: ratio 0.87625, not over.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb

from outcomes.roi.ledger import display
from outcomes.roi.ledger_build import LEDGER_DDL
from outcomes.roi.summary import summarise
from tests import roifixtures
from tests.roifixtures import PRE, W1, W2, W3, W4, div

golden = roifixtures.golden  # the hand-worked project, built once (fixture)
golden_con = roifixtures.golden_con
D = Decimal


def test_golden_summary_to_the_cent(golden_con):
    s = summarise(golden_con)
    assert s.total_benefits == D("503.0416666907")
    assert s.total_costs == D("547.130501")
    assert s.net_value == D("-44.0888343093")
    assert (display(s.total_benefits), display(s.total_costs), display(s.net_value)) == (
        "503.04",
        "547.13",
        "-44.09",
    )
    assert s.roi == div("-44.0888343093", "547.130501")
    assert round(s.roi, 4) == D("-0.0806")
    assert s.payback_week == W3
    assert s.cumulative_net == D("-44.0888343093")
    assert [(w.week_start, w.net, w.cumulative_net, w.complete) for w in s.weeks] == [
        (PRE, D("-4.76"), D("-4.76"), True),
        (W1, D("-161.3583343093"), D("-166.1183343093"), True),
        (W2, D("7.62"), D("-158.4983343093"), True),
        (W3, D("174.4095"), D("15.9111656907"), True),
        (W4, D("-60"), D("-44.0888343093"), False),
    ]
    assert s.run_rate_weeks == (PRE, W1, W2, W3)
    assert s.run_rate_annualised == D("206.8451539791")
    assert s.run_rate_benefits == D("503.0416666907") * 13
    assert {t.line_id: t.amount for t in s.lines}["people"] == D("100")


def test_projection_at_production_volume(golden_con):
    p = summarise(golden_con).projection
    assert p is not None and p.week_start == W3
    assert (p.inference_cost, p.events, p.cost_per_inference) == (D("0.3505"), 4, D("0.087625"))
    assert p.projected_monthly_cost == D("26287.5")
    assert (p.monthly_budget, p.budget_ratio, p.over_budget) == (D("30000"), D("0.87625"), False)
    assert not p.headroom_assumed


def test_period_summary_keeps_inception_to_date_cumulative(golden_con):
    s = summarise(golden_con, period="2026-03")  # W1..W4; 02-23 is February
    assert s.opening_cumulative_net == D("-4.76")
    assert s.total_costs == D("547.130501") - D("4.76")
    assert s.net_value == D("-39.3288343093")
    assert s.weeks[0].cumulative_net == D("-166.1183343093")
    assert s.payback_week == W3
    assert s.run_rate_annualised is None  # only 3 complete weeks in March
    feb = summarise(golden_con, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert (feb.total_benefits, feb.total_costs, feb.roi, feb.payback_week) == (
        D("0"),
        D("4.76"),
        D("-1"),
        None,
    )


def _ledger(rows):
    con = duckdb.connect()
    con.execute(LEDGER_DDL)
    for week, line, category, amount in rows:
        con.execute(
            "insert into main.roi_ledger values (?, 'a', ?, ?, ?, 'f', 'f', '[]', ?, 'USD')",
            [week, line, category, line, amount],
        )
    return con


def test_no_costs_means_no_roi_and_never_paid_back_means_none():
    con = _ledger([(W1, "b", "benefit", "10")])
    s = summarise(con)
    assert (s.roi, s.payback_week, s.net_value, s.projection) == (None, W1, D("10"), None)
    con = _ledger([(W1, "b", "benefit", "10"), (W1, "c", "cost", "30"), (W2, "b", "benefit", "15")])
    s = summarise(con)
    assert s.payback_week is None and s.cumulative_net == D("-5")
    assert s.roi == div("-5", "30")
    con = _ledger([])
    s = summarise(con)
    assert (s.total_benefits, s.roi, s.weeks, s.payback_week) == (D("0"), None, (), None)


def test_render_rounds_for_display_only(golden_con):
    text = summarise(golden_con).render()
    assert "-44.09 USD" in text and "2026-03-16" in text and "26,287.50" in text
