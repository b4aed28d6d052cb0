"""Overview: every built metric, its latest complete week, and one metric's trend."""

import streamlit as st

from outcomes.app import charts
from outcomes.app import streamlit_glue as ui
from outcomes.app.views import snapshot_info as warehouse

st.title("📊 Overview")

if ui.snapshot_key() is None:
    st.info(warehouse.NO_SNAPSHOT)
    st.stop()

latest = ui.load(warehouse.latest_values)
failed = latest[latest["build_status"] != "ok"]
st.caption(f"{len(latest)} metrics in this build, {len(failed)} failed.")
for row in failed.itertuples():
    st.error(f"**{row.metric}** failed to build: {row.error}")

ui.show_sql(*warehouse.VALUE_QUERIES)
st.dataframe(
    latest[["metric", "week_start", "value", "flag", "build_status"]],
    hide_index=True,
    width="stretch",
    column_config={"value": st.column_config.NumberColumn(format="%.4g")},
)

metric = st.selectbox("Trend of", latest["metric"].tolist(), key="overview_metric")
series = ui.load(warehouse.metric_series, metric)
st.altair_chart(charts.overview_trend(series, metric), width="stretch")
