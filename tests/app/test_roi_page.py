"""The ROI page's pure functions over a hand-made ledger whose figures are worked by hand.

Ledger: 13 Mondays 2026-01-05 (k=0) .. 2026-03-30 (k=12), two lines:

- ``time_saved`` (benefit) = hours * rate, hours = 20 + 2k, rate = 50 (assumption, range 40..60)
  -> 1000 + 100k per week;
- ``platform`` (cost) = platform_cost (cost rows): 3000 in January (k=0..3), 500 after.

By hand: January net = 4600 - 12000 = -7400; February (k=4..7) 6200 - 2000 = 4200;
March (k=8..12) 10000 - 2500 = 7500, ROI 300 %. March's previous period is the previous
month, February (k=4..7): 4200, ROI 4200 / 2000 = 210 %. Cumulative net turns
non-negative at k=10 (2026-03-16: -500 + 1500 = 1000). The week of 2026-03-30 is partial, so
March's run-rate is k=8..11: (1300 + 1400 + 1500 + 1600) * 13 = 75,400; the previous
period's is k=4..7: 4200 * 13 = 54,600. Inference: week 2026-03-23 has 4 events of 0.01 ->
0.01 per inference * 100,000 * headroom 2 = 2,000 a month = 200 % of the 1,000 budget; week
2026-02-23 has 2 events of 0.005 -> 100 %.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
from decimal import Decimal
from html.parser import HTMLParser
from types import SimpleNamespace

import duckdb
import pytest

from outcomes.app import queries, roi_charts
from outcomes.app.exports import roi_onepager
from outcomes.app.views.roi import closes as roi_closes
from outcomes.app.views.roi import (
    downloads,
    figure_working,
    headline,
    panel_sql,
    series,
    summaries,
    windows,
)
from outcomes.app.views.roi.budget_projection import PROJECTION_METRICS
from outcomes.config import Settings
from outcomes.core import money
from outcomes.store.sqlfunctions import install
from tests.apphelpers import ROOT

WEEKS = [dt.date(2026, 1, 5) + dt.timedelta(weeks=k) for k in range(13)]
MARCH = windows.make_window("month", "2026-03")


def _inputs(*items: dict) -> str:
    base = {"unit": None, "sql_sha256": None, "effective_from": None, "owner": None}
    return json.dumps([{**base, **i} for i in items])


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("create schema staging; create schema metrics; create schema roi")
    install(c, Settings(), as_of="2026-04-01 06:00:00")  # the macros the metric SQL calls
    c.execute("create or replace table main.build_settings (key varchar, value varchar)")
    c.execute(
        "insert into main.build_settings values ('as_of', '2026-04-01 06:00:00'), ('currency', 'USD')"
    )
    c.execute(
        "create table main.build_manifest (build_id varchar, status varchar, finished_at timestamp)"
    )
    c.execute("insert into main.build_manifest values ('B-HAND', 'ok', '2026-04-01 06:00:00')")
    c.execute(
        "create table main.roi_ledger (week_start date, line_id varchar, category varchar, title varchar, "
        "formula varchar, formula_filled varchar, inputs json, amount decimal(38,10), currency varchar)"
    )
    for k, week in enumerate(WEEKS):
        hours = 20 + 2 * k
        c.execute(
            "insert into main.roi_ledger values (?, 'time_saved', 'benefit', 'Analyst time saved', "
            "'hours * rate', ?, ?, ?, 'USD')",
            [
                week,
                f"{hours} * 50",
                _inputs(
                    {
                        "name": "hours",
                        "value": str(hours),
                        "unit": "hours",
                        "source_type": "metric",
                        "source_ref": "metrics.hours_saved",
                        "owner": "ops@example.com",
                    },
                    {
                        "name": "rate",
                        "value": "50",
                        "unit": "USD/hour",
                        "source_type": "assumption",
                        "source_ref": "rate",
                        "effective_from": "2026-01-01",
                        "owner": "finance@example.com",
                    },
                ),
                Decimal(hours * 50),
            ],
        )
        cost = 3000 if k < 4 else 500
        c.execute(
            "insert into main.roi_ledger values (?, 'platform', 'cost', 'Platform', 'platform_cost', ?, ?, ?, 'USD')",
            [
                week,
                str(cost),
                _inputs(
                    {
                        "name": "platform_cost",
                        "value": str(cost),
                        "unit": "USD",
                        "source_type": "cost_rows",
                        "source_ref": "staging.cost_weeks:infrastructure",
                        "owner": "finops@example.com",
                    },
                ),
                Decimal(cost),
            ],
        )
    c.execute(
        "create table main.roi_sql (name varchar, path varchar, sql_sha256 varchar, sql varchar)"
    )
    c.execute(
        "insert into main.roi_sql values "
        "('roi.time_saved', 'roi/time_saved.sql', 'aa', 'select week_start, hours * rate as amount from metrics.hours_saved'), "
        "('roi.platform', 'roi/platform.sql', 'bb', 'select week_start, amount from staging.cost_weeks')"
    )
    c.execute("create table staging.weeks (week_start date, is_partial boolean)")
    c.executemany("insert into staging.weeks values (?, ?)", [[w, w == WEEKS[-1]] for w in WEEKS])
    c.execute(
        "create table staging.assumptions (key varchar, effective_from date, value decimal(18,6), unit varchar, "
        "owner varchar, source varchar, note varchar, low decimal(18,6), high decimal(18,6), load_id varchar)"
    )
    c.execute(
        "insert into staging.assumptions values "
        "('rate', '2026-01-01', 50, 'USD/hour', 'finance@example.com', 'FY26 plan', null, 40, 60, 'L1'), "
        "('projected_monthly_volume', '2026-01-01', 100000, 'events/month', 'ops@example.com', 'plan', null, null, null, 'L1'), "
        "('headroom', '2026-01-01', 2, 'x', 'ml@example.com', 'plan', null, null, null, 'L1'), "
        "('monthly_budget', '2026-01-01', 1000, 'USD/month', 'finance@example.com', 'budget', null, null, null, 'L1')"
    )
    c.execute(
        "create table staging.ai_events (event_id varchar, occurred_at timestamp, week_start date, "
        "model_version varchar, segment varchar, tokens_in bigint, tokens_out bigint, cost_usd decimal(18,6))"
    )
    for i in range(4):
        c.execute(
            "insert into staging.ai_events values (?, '2026-03-24 10:00:00', '2026-03-23', 'v2', 'smb', 10, 5, 0.01)",
            [f"m{i}"],
        )
    for i in range(2):
        c.execute(
            "insert into staging.ai_events values (?, '2026-02-24 10:00:00', '2026-02-23', 'v1', 'smb', 10, 5, 0.005)",
            [f"f{i}"],
        )
    # one AI system (issue 15): the ledger's and the events' rows are its own, the
    # assumptions company-wide, the register empty (the company projection reads assumptions)
    c.execute("alter table main.roi_ledger add column system varchar default 'assistant'")
    c.execute("alter table staging.ai_events add column system varchar default 'assistant'")
    c.execute("alter table staging.assumptions add column system varchar")
    c.execute(
        "create table staging.systems (system varchar, effective_from date, effective_to date, "
        "stage varchar, owner varchar, rollback_target varchar, "
        "production_events_per_week bigint, inference_budget_per_week decimal(18,2), "
        "freshness_sla_hours double, note varchar, load_id varchar)"
    )
    _build_projection_metrics(c)
    yield c
    c.close()


def _build_projection_metrics(con):
    """The projection metrics (and the unit cost they read) from their own SQL, as
    `outcomes build` makes them."""
    for name in ("inference_cost", "cost_per_inference", *PROJECTION_METRICS):
        sql = (ROOT / "sql" / "metrics" / f"{name}.sql").read_text()
        con.execute(f"create or replace table metrics.{name} as {sql}")


def _summaries(con, window):
    prior = windows.previous_window(window, windows.ledger_calendar(con).anchor)
    return summaries.window_summaries(con, window.start, window.end, prior.start, prior.end)


def _headline(con, window):
    prior = windows.previous_window(window, windows.ledger_calendar(con).anchor)
    return {f.key: f for f in headline.headline(_summaries(con, window), prior)}, prior


def test_previous_period_is_the_previous_one_of_the_same_kind(con):
    cal = windows.ledger_calendar(con)
    assert (
        cal.weeks == tuple(WEEKS) and cal.as_of == dt.date(2026, 4, 1) and cal.build_id == "B-HAND"
    )
    prior = windows.previous_window(MARCH, cal.anchor)
    assert (prior.start, prior.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert prior.label == "previous month (2026-02)"
    feb = windows.make_window("month", "2026-02")
    assert windows.previous_window(feb, cal.anchor).start == dt.date(2026, 1, 1)
    q1 = windows.make_window("quarter", "2026-Q1")
    assert windows.previous_window(q1, cal.anchor).label == "previous quarter (2025-Q4)"
    custom = windows.make_window("custom", custom=(dt.date(2026, 3, 2), dt.date(2026, 3, 15)))
    assert windows.previous_window(custom, cal.anchor).label == "previous 2 weeks"
    figures, _ = _headline(con, MARCH)
    assert "5 weeks against 4" in figures["net_period"].help


def test_headline_figures_and_changes_worked_by_hand(con):
    figures, _ = _headline(con, MARCH)
    assert figures["net_to_date"].value == Decimal(4300)
    assert figures["net_to_date"].previous == Decimal(-3200)
    assert (figures["net_to_date"].text, figures["net_to_date"].delta) == ("$4,300", "+$7,500")
    assert (figures["net_period"].text, figures["net_period"].delta) == ("$7,500", "+$3,300")
    assert figures["roi"].value == Decimal(3) and figures["roi"].previous == Decimal("2.1")
    assert (figures["roi"].text, figures["roi"].delta) == ("300.0%", "+90.0 pp")
    assert figures["payback"].value == dt.date(2026, 3, 16)
    assert (figures["payback"].text, figures["payback"].delta) == (
        "16 Mar 2026",
        "reached in this period",
    )
    assert figures["run_rate"].value == Decimal(75400)
    assert (figures["run_rate"].text, figures["run_rate"].delta) == ("$75,400", "+$20,800")
    assert figures["inference_budget"].value == Decimal(2)
    assert (figures["inference_budget"].text, figures["inference_budget"].delta) == (
        "200% of budget",
        "+100.0 pp",
    )
    assert figures["inference_budget"].delta_color == "inverse"  # more of the budget is worse
    assert (
        figures["inference_budget"].alert
        == "Over budget: $2,000/month projected against $1,000/month"
    )
    assert figures["roi"].alert is None


def test_a_period_without_a_previous_one_shows_no_change(con):
    figures, prior = _headline(con, windows.make_window("month", "2026-01"))
    assert prior.start < WEEKS[0]
    assert all(f.delta is None for f in figures.values())
    assert figures["net_period"].text == "-$7,400"
    cal = windows.ledger_calendar(con)
    assert "no previous period" in windows.coverage_note(prior, cal)
    assert windows.coverage_note(windows.previous_window(MARCH, cal.anchor), cal) is None


def test_period_picker_choices():
    assert windows.period_labels(WEEKS, "month") == ["2026-03", "2026-02", "2026-01"]
    assert windows.period_labels(WEEKS, "quarter") == ["2026-Q1"]
    assert windows.default_label(["2026-04", "2026-03"], "month", dt.date(2026, 4, 1)) == "2026-03"
    ytd = windows.make_window("ytd", weeks=WEEKS, as_of=dt.date(2026, 4, 1))
    assert (ytd.start, ytd.end, ytd.closable) == (dt.date(2026, 1, 1), dt.date(2026, 4, 1), None)
    custom = windows.make_window("custom", custom=(dt.date(2026, 3, 31), dt.date(2026, 3, 1)))
    assert (custom.start, custom.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert MARCH.closable == "2026-03" and windows.slug(custom) == "2026-03-01-to-2026-03-31"
    with pytest.raises(ValueError):
        windows.make_window("fortnight")


def test_money_is_rounded_half_up_only_for_display():
    assert money.money(Decimal("1234.5"), "USD") == "$1,235"
    assert money.money(Decimal("0.005"), "USD", cents=True) == "$0.01"
    assert money.money(Decimal("-2.5"), "GBP") == "-£3"
    assert money.money(Decimal("1000"), "CHF") == "1,000 CHF"
    assert money.percent(Decimal("15.1231")) == "1,512.3%"


def _close(period, start, end, totals):
    return SimpleNamespace(
        period=period,
        start=start,
        end=end,
        closed_by="ana",
        build_id="B-OLD",
        closed_at=dt.datetime(2026, 4, 2, 9, 0),
        totals=totals,
        id=1,
        ledger_sha256="x",
    )


def test_closed_and_restated_periods_show_the_original_beside(con):
    cal = windows.ledger_calendar(con)
    march_now = {"benefits": "10000", "costs": "2500", "net": "7500"}
    march_closed = {"benefits": "9000", "costs": "2500", "net": "6500"}
    closes = [
        _close(
            "2026-02",
            dt.date(2026, 2, 1),
            dt.date(2026, 2, 28),
            {"benefits": "6200", "costs": "2000", "net": "4200"},
        ),
        _close("2026-03", dt.date(2026, 3, 1), dt.date(2026, 3, 31), march_closed),
    ]
    restated = [
        SimpleNamespace(
            period="2026-03",
            restated=True,
            original_totals=march_closed,
            restated_totals=march_now,
            changed_inputs=lambda: ["assumption rate: value 45 -> 50"],
        )
    ]
    notes = roi_closes.close_notes(MARCH, closes, restated)
    assert [n.period for n in notes] == ["2026-03"]
    assert notes[0].restated and "RESTATED" in notes[0].describe("USD")
    assert "$6,500.00 at close, $7,500.00 now" in notes[0].describe("USD")
    assert "rate: value 45 -> 50" in notes[0].describe("USD")
    q1_notes = roi_closes.close_notes(windows.make_window("quarter", "2026-Q1"), closes, restated)
    assert [(n.period, n.restated) for n in q1_notes] == [("2026-02", False), ("2026-03", True)]

    figures, prior = _headline(con, MARCH)
    current = summaries.summary(con, MARCH.start, MARCH.end)
    original = roi_closes.original_figures(current, notes)
    assert original == {"net": Decimal(6500), "roi": Decimal("2.6")}
    shown = {
        f.key: f for f in roi_closes.with_originals(list(figures.values()), original, cal.currency)
    }
    assert (shown["net_period"].text, shown["net_period"].original) == ("$7,500", "$6,500")
    assert (shown["roi"].text, shown["roi"].original) == ("300.0%", "260.0%")
    assert roi_closes.original_figures(current, q1_notes[:1]) is None  # unchanged: nothing beside


def test_show_working_has_formula_with_numbers_sources_and_sql(con):
    roi = figure_working.working(con, "roi", _summaries(con, MARCH))
    assert roi.formula == "(total_benefits - total_costs) / total_costs"
    assert roi.formula_filled == "(10000 - 2500) / 2500"
    assert roi.result == "300.00%"
    assert {name for name, _ in roi.sql} == {"roi.time_saved", "roi.platform"}
    assert len(roi.rows) == 10  # 5 weeks x 2 lines

    payback = figure_working.working(con, "payback", _summaries(con, MARCH))
    assert payback.result == "2026-03-16"
    assert "-$500.00 at 2026-03-09 < 0" in payback.formula_filled
    assert "$1,000.00 at 2026-03-16" in payback.formula_filled

    budget = figure_working.working(con, "inference_budget", _summaries(con, MARCH))
    assert (
        budget.formula_filled
        == "(0.04 / 4) × 100000 × 2 = $2,000.00 per month; / $1,000.00 = 200.0%"
    )
    owners = dict(zip(budget.inputs["input"], budget.inputs["owner"], strict=True))
    assert owners["monthly_budget"] == "finance@example.com"
    assert len(budget.rows) == 4

    line = figure_working.line_working(con, "time_saved", dt.date(2026, 3, 9))
    assert line.formula_filled == "38 * 50"
    rate = line.inputs.set_index("input").loc["rate"]
    assert (rate["source"], rate["owner"], rate["effective_from"]) == (
        "assumption",
        "finance@example.com",
        "2026-01-01",
    )
    assert line.sql[0][0] == "roi.time_saved" and "hours * rate" in line.sql[0][1]


def test_charts_data(con):
    history = summaries.summary(con, None, MARCH.end)
    frame = roi_charts.cumulative_frame(series.weekly_totals(history))
    assert frame["cum_net"].iloc[-1] == 4300.0
    assert roi_charts.payback_point(frame)["week_start"].date() == dt.date(2026, 3, 16)
    spec = json.dumps(series.cumulative(history, MARCH).to_dict())
    assert "Payback 2026-03-16" in spec and "Cumulative cost" in spec and "(USD)" in spec

    current = summaries.summary(con, MARCH.start, MARCH.end)
    steps = roi_charts.waterfall_frame(series.waterfall_lines(current))
    assert steps[["label", "start", "end"]].values.tolist() == [
        ["Analyst time saved", 0.0, 10000.0],
        ["Platform", 10000.0, 7500.0],
        ["Net value", 0.0, 7500.0],
    ]

    table = series.sensitivity_table(con, MARCH.start, MARCH.end)
    assert table["assumption"].tolist() == ["rate"]
    bars = roi_charts.tornado_frame(table)
    # rate 40: benefits 8000, net 5500, ROI 220 %; rate 60: 12000, 9500, 380 %
    assert bars["roi"].round(6).tolist() == [2.2, 3.8]
    assert "ROI range by assumption" in json.dumps(series.tornado(table, MARCH).to_dict())


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[dict] = []
        self.text: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        if tag in ("script", "link"):
            self.scripts += 1

    def handle_data(self, data):
        self.text.append(data)


def test_one_page_summary_html_is_self_contained_with_png_charts(con):
    html = downloads.summary_bytes(
        con, "html", "month", "2026-03", MARCH.start, MARCH.end, ("2026-03 closed by ana",)
    )
    parser = _Images()
    parser.feed(html.decode("utf-8"))
    assert parser.scripts == 0  # nothing to fetch, nothing to run
    assert len(parser.images) == 3  # cumulative, waterfall, tornado
    for img in parser.images:
        prefix = "data:image/png;base64,"
        assert img["src"].startswith(prefix) and img["alt"]
        assert base64.b64decode(img["src"][len(prefix) :])[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(parser.text)
    for expected in (
        "Net value to date",
        "$4,300",
        "+$7,500",
        "300.0%",
        "16 Mar 2026",
        "$75,400",
        "200% of budget",
        "2026-03 closed by ana",
        "B-HAND",
        "previous month (2026-02)",
    ):
        assert expected in text, expected


def test_one_page_summary_pdf(con):
    pdf = downloads.summary_bytes(con, "pdf", "month", "2026-03", MARCH.start, MARCH.end)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert (
        pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page>") >= 1
    )
    assert b"/Subtype /Image" in pdf


def test_onepager_text_fits_the_pdf_fonts():
    assert roi_onepager._latin("−$5 × 2 ≥ 1 — ok") == "-$5 x 2 >= 1 - ok"


def test_ledger_downloads_parse(con):
    rows = list(
        csv.DictReader(
            io.StringIO(downloads.ledger_csv_bytes(con, MARCH.start, MARCH.end).decode())
        )
    )
    assert len(rows) == 10
    assert sum(Decimal(r["amount"]) for r in rows if r["category"] == "benefit") == Decimal(10000)


def test_the_budget_figure_is_the_metrics_rows(con):
    """One definition: the tile shows what metrics.projected_* hold, not a second computation."""
    con.execute(
        "update metrics.projected_budget_ratio set value = 0.5 where week_start = '2026-03-23'"
    )
    figures, _ = _headline(con, MARCH)
    assert figures["inference_budget"].text == "50% of budget"
    assert figures["inference_budget"].alert is None
    con.execute("drop table metrics.projected_inference_cost cascade")
    figures, _ = _headline(con, MARCH)
    assert figures["inference_budget"].text == "n/a"


def test_without_a_headroom_the_metric_default_is_used_and_said(con):
    con.execute("delete from staging.assumptions where key = 'headroom'")
    _build_projection_metrics(con)
    figures, _ = _headline(con, MARCH)
    assert figures["inference_budget"].text == "300% of budget"  # 0.01 x 100,000 x 3 / 1,000
    budget = figure_working.working(con, "inference_budget", _summaries(con, MARCH))
    assert budget.notes == ("headroom: the register has none, the default 3 is used",)
    assert dict(zip(budget.inputs["input"], budget.inputs["source"], strict=True))["headroom"] == (
        "default"
    )


def test_every_panel_shows_sql_that_gives_its_rows(con):
    for panel in panel_sql.PANELS:
        sql = panel_sql.panel_sql(con, panel)
        assert sql and all("select" in text for _, text in sql), panel

    history = summaries.summary(con, None, MARCH.end)
    weekly = queries.run(con, "roi_weekly_value_cost", {"end": MARCH.end})
    assert [
        (r.week_start.date(), Decimal(str(r.benefits)), Decimal(str(r.costs)))
        for r in weekly.itertuples()
    ] == series.weekly_totals(history)
    assert Decimal(str(weekly["cumulative_net"].iloc[-1])) == Decimal(4300)

    current = summaries.summary(con, MARCH.start, MARCH.end)
    lines = queries.run(con, "roi_line_totals", {"start": MARCH.start, "end": MARCH.end})
    assert [(r.title, r.category, Decimal(str(r.amount))) for r in lines.itertuples()] == (
        series.waterfall_lines(current)
    )
    assert lines["weeks"].tolist() == series.line_table(current)["weeks"].tolist()

    ledger_rows = queries.run(con, "roi_ledger_rows", {"start": MARCH.start, "end": MARCH.end})
    shown = csv.DictReader(
        io.StringIO(downloads.ledger_csv_bytes(con, MARCH.start, MARCH.end).decode())
    )
    assert [(r["line_id"], Decimal(r["amount"])) for r in shown] == [
        (r.line_id, Decimal(str(r.amount))) for r in ledger_rows.itertuples()
    ]

    payback = queries.rows(con, "roi_payback_week")
    assert payback[0][0] == dt.date(2026, 3, 16)
    ranges = queries.run(con, "roi_assumption_ranges", {"end": MARCH.end})
    assert ranges["key"].tolist() == ["rate"]


def test_a_snapshot_without_a_ledger_gives_a_calendar_that_says_so():
    cal = windows.ledger_calendar(duckdb.connect())
    assert cal.weeks == () and "no ROI ledger" in cal.missing


def test_a_window_reads_the_ledger_once_and_sums_as_three_readings_would(con, monkeypatch):
    from outcomes.roi import ledger as ledger_module
    from outcomes.roi import summary as summary_module

    reads = []

    def counting(*args, **kwargs):
        reads.append(args[1:])
        return ledger_module.read_ledger(*args, **kwargs)

    prior = windows.previous_window(MARCH, windows.ledger_calendar(con).anchor)
    separate = [
        summary_module.summarise(con, MARCH.start, MARCH.end),
        summary_module.summarise(con, prior.start, prior.end),
        summary_module.summarise(con, None, MARCH.end),
    ]
    monkeypatch.setattr(summaries, "read_ledger", counting)
    monkeypatch.setattr(summary_module, "read_ledger", counting)
    together = _summaries(con, MARCH)
    assert len(reads) == 1
    assert [together.current, together.previous, together.history] == separate


def test_headline_badges_and_says_what_each_figure_is(con):
    prior = windows.previous_window(MARCH, windows.ledger_calendar(con).anchor)
    figures = {f.key: f for f in headline.headline(_summaries(con, MARCH), prior, MARCH.label)}
    assert figures["net_period"].badges == ("partial: week of 2026-03-30 not over",)
    assert figures["run_rate"].badges == () and figures["inference_budget"].badges == ()
    assert figures["net_period"].full_label == "Net value in period · actual, 2026-03, USD"
    assert figures["inference_budget"].full_label == (
        "Projected inference cost vs budget · projected at production volume, per month"
    )
