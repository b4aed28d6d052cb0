"""Model health: accuracy, error rate, calibration, latency, override and acceptance, weekly,
per model version and segment, with model-version changes and notes drawn on every chart."""

import streamlit as st

from outcomes.app import streamlit_glue as ui
from outcomes.app.markup import md_text
from outcomes.app.views import annotations, model_health

system = ui.current_system()  # the sidebar's AI system filter (?system=x), None = the company
st.title("🩺 Model health" + (f" · {md_text(system)}" if system else ""))
st.caption(
    "Weekly model metrics per model version and segment. Dashed purple rules mark the first "
    "week a model version was seen; dashed amber / red rules are the warn / alert thresholds; "
    "hollow points are provisional (few labels) or partial (week not over) weeks."
)

if ui.snapshot_key() is None:
    st.info(
        "No data yet. Run `make run` (generates and builds the demo data) or load your own "
        "files with `outcomes ingest <file> --table ai_events` (and `feedback`), then "
        "`outcomes build`."
    )
    st.stop()

try:
    with st.spinner("Loading the model metrics…"):
        values = ui.load(model_health.health_values, model_health.HEALTH_METRICS, system)
        catalog = ui.load(model_health.health_catalog)
except Exception as exc:  # a broken snapshot: say so, keep the app alive
    st.error(f"Could not read the model metrics from this snapshot: {exc}")
    st.stop()

if values.empty:
    st.info(
        "This snapshot has no model metrics yet: it needs AI events and feedback. Load them "
        "with `outcomes ingest <file> --table ai_events` / `--table feedback`, then `outcomes build`."
    )
    st.stop()

left, middle, right, window_col = st.columns([1.3, 1, 1, 0.9])
split = ui.choice_radio(
    left,
    "Lines by",
    model_health.SPLIT_LABELS,
    "health_split",
    bind="query-params",  # every filter is in the URL: a link shares the view
)
all_versions = model_health.dimension_values(values, "model_version")
all_segments = model_health.dimension_values(values, "segment")
versions = middle.multiselect(
    "Model versions", all_versions, default=all_versions, key="health_versions", bind="query-params"
)
segments = right.multiselect(
    "Segments", all_segments, default=all_segments, key="health_segments", bind="query-params"
)
window = window_col.selectbox(
    "Weeks", list(model_health.WINDOWS), index=1, key="health_window", bind="query-params"
)
since = model_health.window_start(values, model_health.WINDOWS[window])

versions_seen = ui.load(annotations.version_change_annotations)
store = ui.state_store()


with st.spinner("Drawing the charts…"):
    drawn = ui.load(
        model_health.health_charts,
        model_health.CHARTED,
        split,
        since,
        model_health.narrowed(versions, all_versions),
        model_health.narrowed(segments, all_segments),
        tuple(annotations.chart_annotations(store, versions_seen, m) for m in model_health.CHARTED),
    )


def draw(metric: str) -> None:
    """One metric's chart, or its info / error card."""
    chart = drawn[metric]
    if chart.status == "ok":
        st.vega_lite_chart(chart.spec, width="stretch")
        st.caption(chart.caption)
    elif chart.status == "empty":
        st.info(chart.message)
    else:
        st.error(chart.message)


def section(title: str, left: str, right) -> None:
    """Two charts side by side under ``title``; ``right`` may pick its metric (a widget)."""
    st.subheader(title)
    ui.show_sql(*model_health.QUERIES)
    col1, col2 = st.columns(2)
    with col1:
        draw(left)
    with col2:
        draw(right() if callable(right) else right)


def latency_percentile() -> str:
    return st.radio(
        "Latency percentile",
        list(model_health.LATENCY),
        format_func=lambda m: m.removeprefix("latency_"),
        horizontal=True,
        key="health_latency",
        bind="query-params",
    )


section("Is it right?", "accuracy", "error_rate")
section("Is it confident for the right reasons, and fast?", "calibration_error", latency_percentile)
section("Do people trust it?", "override_rate", "acceptance_rate")
