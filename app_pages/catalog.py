"""Metric catalog: every metric with its owner, thresholds, last value and build; one metric's
page (``?metric=<name>``): description, SQL, lineage both ways, weekly chart, history."""

from urllib.parse import quote

import streamlit as st

from outcomes.app import charts
from outcomes.app import streamlit_glue as ui
from outcomes.app.markup import md_text
from outcomes.app.views import catalog, metric_detail, metric_history, metric_lineage
from outcomes.app.views import snapshot_info as warehouse
from outcomes.app.views.systems import dimensions_of, system_label

st.title("📚 Metric catalog")

if ui.snapshot_key() is None:
    st.info(warehouse.NO_SNAPSHOT)
    st.stop()

settings = ui.settings()
system = ui.current_system()  # the sidebar's AI system filter (?system=x), None = the company
frame = ui.load(catalog.catalog, str(settings.sql_dir), system)
names = frame["name"].tolist()

chosen = st.selectbox(
    "Metric",
    names,
    index=None,
    key="metric",
    bind="query-params",
    placeholder="All metrics (choose one to open its page)",
)

if chosen is None:
    options = catalog.filter_options(frame)
    left, mid, right, far = st.columns([3, 2, 2, 2])
    search = left.text_input("Search", key="catalog_search", placeholder="name, title, owner, tag…")
    kinds = mid.multiselect("Kind", options["kinds"], key="catalog_kinds")
    owners = right.multiselect("Owner", options["owners"], key="catalog_owners")
    statuses = far.multiselect("Status", options["statuses"], key="catalog_statuses")
    shown = catalog.filter_catalog(frame, search, kinds, owners, statuses)
    st.caption(
        f"{len(shown)} of {len(frame)} metrics · last value = newest complete week, total of "
        f"{md_text(system_label(system))} · status against the header's thresholds"
    )
    ui.show_sql(*catalog.QUERIES)
    keep = (
        "" if system is None else "&system=" + quote(system, safe="")
    )  # the link keeps the filter
    shown = shown.assign(link="catalog?metric=" + shown["name"] + keep)
    st.dataframe(
        shown[catalog.SHOWN_COLUMNS],
        hide_index=True,
        width="stretch",
        key="catalog_table",
        column_config={
            "link": st.column_config.LinkColumn("Metric", display_text=r"catalog\?metric=([^&]*)"),
            "week_start": st.column_config.DateColumn("Week", format="YYYY-MM-DD"),
            "last": "Last value",
            "build_status": "Build",
        },
    )
    st.stop()

detail = ui.load(metric_detail.metric_detail, str(settings.sql_dir), chosen)
row = frame[frame["name"] == chosen].iloc[0]
header = detail.header
st.subheader(f"{md_text(header.get('title', chosen))} · `{chosen}`")
if not detail.valid:
    st.error("This definition is invalid:\n\n" + "\n".join(f"- {e}" for e in detail.errors))

cols = st.columns(4)
cols[0].metric(
    "Last value",
    row["last"],
    help=f"Newest complete week with data, total of {system_label(system)}",
)
cols[1].metric("Status", row["status"])
cols[2].metric("Build", str(detail.build.get("status")))
cols[3].metric("Tests", f"{row['tests_passed']} pass / {row['tests_failed']} not")
if detail.build.get("error"):
    st.error(f"Build error: {md_text(detail.build['error'])}")

if header:
    st.markdown(md_text(header.get("description", "")))
    st.markdown(metric_detail.header_markdown(header, row["thresholds"]))

if st.button("Open in the SQL workbench", key="catalog_to_workbench", icon="🛠️"):
    st.session_state["wb_open_request"] = chosen
    st.switch_page("app_pages/workbench.py")

chart_tab, lineage_tab, sql_tab, tests_tab, history_tab = st.tabs(
    ["Weekly chart", "Lineage", "SQL", "Tests", "History"]
)

with chart_tab:
    ui.show_sql(*warehouse.VALUE_QUERIES)
    series = ui.load(warehouse.metric_series, chosen, dimensions_of(system))
    if len(series):
        st.altair_chart(
            charts.trend_chart(
                series,
                title=f"{header.get('title', chosen)}, weekly ({system_label(system)})",
                y_title=str(header.get("title", chosen)),
                unit=header.get("unit"),
                thresholds=header.get("thresholds"),
            ),
            width="stretch",
        )
    else:
        st.info(
            f"No total rows of {md_text(system_label(system))} for this metric in the current "
            "snapshot (drift metrics have a row per system and feature only)."
        )

with lineage_tab:
    for column, sections in zip(
        st.columns(2), metric_lineage.lineage_markdown(detail.lineage), strict=True
    ):
        for title, text in sections:
            column.markdown(f"**{title}**")
            column.markdown(text)

with sql_tab:
    st.caption(f"`{detail.path}`")
    st.code(detail.sql, language="sql", line_numbers=True)

with tests_tab:
    ui.show_sql(*metric_detail.QUERIES)
    if len(detail.tests):
        st.dataframe(detail.tests, hide_index=True, width="stretch")
    else:
        st.info("No header tests ran for this metric in this build.")

with history_tab:
    changes = metric_history.history(settings, chosen)
    if len(changes):
        st.dataframe(changes[["at", "who", "source", "what"]], hide_index=True, width="stretch")
        for change in changes[changes["detail"] != ""].itertuples():
            with st.expander(f"Diff of {change.at:%Y-%m-%d %H:%M} by {md_text(change.who)}"):
                st.code(change.detail, language="diff")
    else:
        st.info("No recorded changes (audit log or git).")
