"""Overview: every built metric, its latest complete week, and one metric's trend."""

import streamlit as st

from outcomes.app import charts
from outcomes.app import streamlit_glue as ui
from outcomes.app.markup import md_text
from outcomes.app.views import metric_definitions
from outcomes.app.views import snapshot_info as warehouse
from outcomes.app.views.systems import dimensions_of

system = ui.current_system()  # the sidebar's AI system filter (?system=x), None = the company
dimensions = dimensions_of(system)
st.title("📊 Overview" + (f" · {md_text(system)}" if system else ""))

if ui.snapshot_key() is None:
    st.info(warehouse.NO_SNAPSHOT)
    st.stop()

with st.spinner("Loading the latest figures…"):
    latest = ui.load(warehouse.latest_values, dimensions)
    catalog = ui.load(metric_definitions.metric_catalog)
failed = latest[latest["build_status"] != "ok"]
st.caption(
    f"{len(latest)} metrics in this build, {len(failed)} failed. Values are "
    + (f"AI system {md_text(system)}'s totals." if system else "the company's totals.")
)
titles = dict(zip(catalog["name"], catalog["title"], strict=True))
for row in failed.itertuples():
    st.error(
        f"**{md_text(titles.get(row.metric, row.metric))}** failed to build: {md_text(row.error)}"
    )

ui.show_sql(*warehouse.VALUE_QUERIES)
st.dataframe(warehouse.readable_latest(latest, catalog), hide_index=True, width="stretch")

metrics = latest["metric"].tolist()
metric = st.selectbox(
    "Trend of",
    metrics,
    format_func=lambda m: titles.get(m, m),
    key="overview_metric",
    bind="query-params",
)
info = catalog[catalog["name"] == metric]
unit = info["unit"].iloc[0] if len(info) and isinstance(info["unit"].iloc[0], str) else None
with st.spinner("Loading the trend…"):
    series = ui.load(warehouse.metric_series, metric, dimensions)
st.altair_chart(
    charts.overview_trend(series, metric, title=titles.get(metric, metric), unit=unit),
    width="stretch",
)
