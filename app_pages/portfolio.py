"""Portfolio: every AI system in one table for the executive: which pay off, which are ready
for production, which to stop. Each system opens its ROI page (?system=x) and its readiness
scorecard, every item with its evidence and a link to where it is shown."""

import datetime as dt

import streamlit as st

from outcomes.app import streamlit_glue as ui
from outcomes.app.markup import md_text
from outcomes.app.views import portfolio, portfolio_table, readiness
from outcomes.app.views import snapshot_info as warehouse

st.title("🧭 Portfolio")
st.caption(
    "One row per AI system: stage, net value to date, ROI with its range, payback, trend, "
    "adoption, weekly review, open alerts, value at risk and production readiness. Readiness "
    "is evidenced from data, never ticked by hand."
)

if ui.snapshot_key() is None:
    st.info(warehouse.NO_SNAPSHOT)
    st.stop()

try:
    with st.spinner("Loading the portfolio…"):
        snap = ui.load(portfolio.portfolio_snapshot)
except Exception as exc:  # a broken snapshot: an error card, not a traceback
    st.error(f"The portfolio could not be read from this snapshot: {exc}")
    st.stop()

for note in snap.notes:
    st.warning(note)
week = snap.week
if week is None:
    st.info("The snapshot has no complete week yet: nothing to compare systems on.")
    st.stop()

store = ui.state_store()
try:
    signoffs = store.signoffs_between(readiness.review_weeks(week)[0], week)
    verdicts = store.verdicts()
    acks = store.acknowledgements()
except Exception as exc:
    st.error(f"Sign-offs, verdicts and acknowledgements could not be read: {exc}")
    signoffs, verdicts, acks = [], [], []
recent = [v for v in verdicts if v.week_start in set(readiness.review_weeks(week))]
counts = ui.load(readiness.verdict_systems, readiness.recent_verdicts(verdicts, week))
scorecards = {}
for row in snap.rows:
    if row.system is None:
        continue
    try:
        evidence = ui.load(
            readiness.snapshot_evidence, row.system, week, row.version, snap.currency
        )
        scorecards[row.system] = readiness.scorecard(evidence, signoffs, recent, counts)
    except Exception as exc:
        st.error(f"The readiness of {md_text(row.system)} could not be evidenced: {exc}")
rows = portfolio.assemble(snap, signoffs, acks, scorecards)
top = portfolio_table.headline(rows)
company = top["company"]

st.caption(f"Last complete week: **{week}** · amounts in {snap.currency}, rounded for display")
cards = st.columns(4)
if company is not None:
    cards[0].metric(
        "Net value to date (company)",
        portfolio_table.money(company.money.net_value, snap.currency),
        border=True,
    )
    cards[1].metric(
        "ROI to date (company)",
        portfolio_table.percent(company.money.roi),
        help="Net value / costs, inception to date; range: every ranged assumption at its "
        f"low or high end ({portfolio_table.roi_range_text(company.roi_low, company.roi_high)}).",
        border=True,
    )
    cards[2].metric("Payback week", str(company.money.payback_week or "not yet"), border=True)
cards[3].metric(
    "Ready for production",
    f"{top['ready']} of {top['systems']}",
    help="Systems whose every readiness item passes.",
    border=True,
)

frame = portfolio_table.table(rows, week, snap.currency)
st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    column_config={
        "Trend": st.column_config.LineChartColumn(
            "Trend", help="Cumulative net value per ledger week (inception to date)"
        ),
        "ROI page": st.column_config.LinkColumn("ROI page", display_text="open ↗"),
    },
    key="portfolio_table",
)
ui.show_sql(*portfolio.QUERIES)

# -- each system: drill-down and readiness ---------------------------------------------------

st.subheader("Systems")
for row in rows:
    if row.system is None:
        continue
    ready = row.ready
    icon = "✅" if ready else "❌"
    with st.container(border=True, key=f"portfolio_system_{row.system}"):
        head, link = st.columns([3, 1])
        head.markdown(
            f"**{md_text(row.system)}** · {md_text(portfolio_table.stage_text(row))} · "
            f"{icon} {'ready' if ready else 'not ready'}"
        )
        if row.version is not None:
            # plain text (st.text): no Markdown at all, so an e-mail address is no mailto link
            note = f" · Note: {row.version.note}" if row.version.note else ""
            head.text(f"Owner: {row.version.owner or 'none named'}{note}")
        link.page_link(
            "app_pages/roi.py",
            label=f"ROI of {md_text(row.system)}",
            icon="💰",
            query_params={"system": row.system},
        )
        var = portfolio_table.value_at_risk_text(row, snap.currency)
        drift = portfolio_table.percent(row.values.get("drift_share"))
        st.caption(
            f"Value at risk (week of {week}): **{md_text(var)}** · drift share beside it as "
            f"evidence, not priced: **{drift}**"
        )
        with st.expander(f"Readiness scorecard of {md_text(row.system)}", expanded=not ready):
            for item in row.readiness:
                text_col, link_col = st.columns([4, 1])
                text_col.markdown(
                    f"{item.mark} **{md_text(item.title)}**  \n{md_text(item.evidence)}"
                )
                link_col.page_link(item.page, label="Evidence", query_params=item.query)

st.caption(
    f"Readiness items are computed from the snapshot and the state store as of {dt.date.today()}; "
    "see `outcomes/app/views/readiness.py` for each rule."
)
