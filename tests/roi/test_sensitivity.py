"""Sensitivity over the hand-worked project: each assumption at the low / high of its range.

Base (test_roi_summary.py): benefits 503.0416666907, costs 547.130501, net -44.0888343093.

baseline_error_rate 0.30 [0.25, 0.35] (errors_avoided, weeks W1..W3):
  low 0.25:  (0.25 - 0.3333333333) * 720 = -59.999999976;  0 * 900 = 0;   0.25 * 720 = 180
             sum 120.000000024 vs 237.000000024: net -44.0888343093 - 117 = -161.0888343093
  high 0.35: (0.35 - 0.3333333333) * 720 = 12.000000024;   0.1 * 900 = 90; 0.35 * 720 = 252
             sum 354.000000024: net +117 = 72.9111656907
cost_per_error 180 [100, 300] (errors_avoided):
  low 100:   -0.0333333333 * 400 = -13.33333332; 0.05 * 500 = 25; 0.3 * 400 = 120 -> 131.66666668
             net -44.0888343093 - 105.333333344 = -149.4221676533
  high 300:  -39.99999996 + 75 + 360 = 395.00000004 -> net +158.000000016 = 113.9111657067
loaded_hourly_cost 62.50 (file, W1) and 72 (CLI, W2..W3), both with the range [50, 80]:
  low 50:    25/60*50 = 20.8333333333; 1.75*50 = 87.5; 95/60*50 = 79.1666666667 -> 187.5
             vs 266.0416666667: net -78.5416666667 = -122.630500976
  high 80:   33.3333333333 + 140 + 126.6666666667 = 300 -> net +33.9583333333 = -10.130500976
costs do not move with these three, so ROI = net / 547.130501; swings:
  cost_per_error 263.33333336, baseline_error_rate 234, loaded_hourly_cost 112.5 (over 547.130501)
build_amortisation_months 12 [6, 24] moves the costs (4 weeks of build amortisation, 200):
  low 6:   2600 / 6 * 12 / 52 = 100 a week -> costs 747.130501, net -244.0888343093, ROI -0.3267
  high 24: 25 a week -> costs 447.130501, net 55.9111656907, ROI 0.1250; swing 0.4518, between
  cost_per_error (0.4813) and baseline_error_rate (0.4277)

ROI range, every assumption at its worse end together: baseline 40 and rate 50:
  (80-65)/60*50 = 12.5, (120-30)/60*50 = 75, (120-40)/60*50 = 66.6666666667 -> 154.1666666667;
  error rate baseline 0.25 and cost 100: -33.33333332 + 0 + 100 = 66.66666668;
  benefits 220.8333333467; build 3200 over 6 months: 3200/6*12/52 = 123.0769230769 x 4
  = 492.3076923076, other costs 347.130501: costs 839.4381933076; net -618.6048599609.
Best: baseline 50, rate 80: 46.6666666667 + 160 + 146.6666666667 = 353.3333333334;
  0.35 / 300: 20.00000004 + 150 + 420 = 590.00000004; benefits 943.3333333734;
  build 2000 over 24 months: 19.2307692308 x 4 = 76.9230769232; costs 424.0535779232;
  net 519.2797554502.
"""

from __future__ import annotations

from decimal import Decimal

from outcomes.roi.sensitivity import render, roi_range, sensitivity
from tests import roifixtures
from tests.roifixtures import div

golden = roifixtures.golden  # the hand-worked project, built once (fixture)
golden_con = roifixtures.golden_con
D = Decimal


def test_tornado_rows_to_the_hand_worked_figures(golden_con):
    table = sensitivity(golden_con, None)
    rows = {r["assumption"]: r for r in table.to_dict("records")}
    assert set(rows) == {
        "baseline_error_rate",
        "cost_per_error",
        "loaded_hourly_cost",
        "baseline_handle_minutes",
        "build_cost",
        "build_amortisation_months",
    }  # monthly_budget, volume and headroom are not ledger inputs
    e = rows["baseline_error_rate"]
    assert (e["low"], e["base"], e["high"]) == ("0.25", "0.3", "0.35")
    assert (e["low_net"], e["base_net"], e["high_net"]) == (
        D("-161.0888343093"),
        D("-44.0888343093"),
        D("72.9111656907"),
    )
    assert e["low_roi"] == div("-161.0888343093", "547.130501")
    assert e["high_roi"] == div("72.9111656907", "547.130501")
    assert e["base_roi"] == div("-44.0888343093", "547.130501")
    c = rows["cost_per_error"]
    assert (c["low_net"], c["high_net"]) == (D("-149.4221676533"), D("113.9111657067"))
    r = rows["loaded_hourly_cost"]
    assert (r["base"], r["low"], r["high"]) == ("62.5 / 72", "50 / 50", "80 / 80")
    assert (r["low_net"], r["high_net"]) == (D("-122.630500976"), D("-10.130500976"))
    # the largest swing first
    assert list(table["assumption"])[:4] == [
        "cost_per_error",
        "build_amortisation_months",
        "baseline_error_rate",
        "loaded_hourly_cost",
    ]
    m = rows["build_amortisation_months"]
    assert m["low_roi"] == div("-244.0888343093", "747.130501")
    assert m["high_roi"] == div("55.9111656907", "447.130501")
    assert c["swing"] == abs(c["high_roi"] - c["low_roi"])
    b = rows["build_cost"]
    assert b["low_roi"] > b["base_roi"] > b["high_roi"]  # a cost: higher build cost, lower ROI


def test_roi_range_all_at_once(golden_con):
    span = roi_range(golden_con, None)
    assert span.low_net == D("-618.6048599609")
    assert span.low_roi == div("-618.6048599609", "839.4381933076")
    assert span.high_net == D("519.2797554502")
    assert span.high_roi == div("519.2797554502", "424.0535779232")
    assert span.base_roi == div("-44.0888343093", "547.130501")
    assert (
        span.low_ends["build_cost"] == "high"
        and span.low_ends["build_amortisation_months"] == "low"
    )
    assert span.high_ends["cost_per_error"] == "high"
    table = sensitivity(golden_con, None)
    assert all(span.low_roi <= v <= span.high_roi for v in [*table["low_roi"], *table["high_roi"]])
    assert "ROI range:" in render(table, span)


def test_period_limits_the_rows(golden_con):
    import datetime as dt

    table = sensitivity(golden_con, None, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert table.empty  # February has only the people cost line: no assumption involved
