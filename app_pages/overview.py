"""Overview: every built metric, its latest complete week, and one metric's trend."""

import altair as alt
import streamlit as st

from outcomes.app import streamlit_glue as ui
from outcomes.app.views import snapshot_info as warehouse

st.title("📊 Overview")

if ui.snapshot_key() is None:
    st.info(
        "No data yet. Run `make run` (generates the demo) or `outcomes ingest` then `outcomes build`."
    )
    st.stop()

latest = ui.load(warehouse.latest_values)
failed = latest[latest["build_status"] != "ok"]
st.caption(f"{len(latest)} metrics in this build, {len(failed)} failed.")
for row in failed.itertuples():
    st.error(f"**{row.metric}** failed to build: {row.error}")

st.dataframe(
    latest[["metric", "week_start", "value", "flag", "build_status"]],
    hide_index=True,
    width="stretch",
    column_config={"value": st.column_config.NumberColumn(format="%.4g")},
)

metric = st.selectbox("Trend of", latest["metric"].tolist(), key="overview_metric")
series = ui.load(warehouse.metric_series, metric)
chart = (
    alt.Chart(series, title=f"{metric}, weekly (all dimensions)")
    .mark_line(point=True)
    .encode(
        x=alt.X("week_start:T", title="Week"),
        y=alt.Y("value:Q", title=metric),
        tooltip=["week_start:T", alt.Tooltip("value:Q", format=".4g"), "flag:N"],
    )
)
st.altair_chart(chart, width="stretch")
