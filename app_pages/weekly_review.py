"""Weekly review: one week's scorecard, alerts, drift, data quality, notes, output review,
sign-off and export. Layout only; the figures come from outcomes.app.views.weekly_review and
outcomes.app.charts."""

import datetime as dt

import streamlit as st

from outcomes.app import charts, drift_charts
from outcomes.app import streamlit_glue as ui
from outcomes.app.views import annotations, metric_definitions
from outcomes.app.views import snapshot_info as warehouse
from outcomes.app.views.weekly_review import (
    actions,
    alerts,
    data_quality,
    drift,
    output_review,
    pack,
    scorecard,
    weeks,
)

st.title("🗓️ Weekly review")

if ui.snapshot_key() is None:
    st.info(
        "No data yet. Run `make run` (generates the demo), or load your files with "
        "`outcomes ingest <file> --table <table>` and then `outcomes build`."
    )
    st.stop()

calendar = ui.load(weeks.weeks)
if calendar.empty:
    st.info(
        "The snapshot has no AI events, so there is no week to review. Load some with "
        "`outcomes ingest <file> --table ai_events`, then `outcomes build`."
    )
    st.stop()

options = [w.isoformat() for w in calendar["week_start"]]
default_week = weeks.default_week(calendar)
picked = st.selectbox(
    "Week",
    options,
    index=options.index(default_week.isoformat()),
    key="week",
    bind="query-params",
    help="Defaults to the last complete week; the URL keeps the week, so a link shares it.",
)
week = dt.date.fromisoformat(picked)
week_row = calendar[calendar["week_start"] == week].iloc[0]
name, role = ui.identity()
store = ui.state_store()
state = st.session_state


def guarded(title: str, render) -> None:
    """Draw one panel; a failure shows an error card and the rest of the page still works."""
    try:
        render()
    except Exception as exc:  # noqa: BLE001 - any failure of one panel stays in that panel
        st.error(f"**{title}** could not be shown: {exc}")


# -- actions (callbacks run before the rerun draws the page, so tables show the new rows) ----


def flash(outcome: tuple[str, str], clear: str | None = None) -> None:
    """Keep the action's message for the rerun; empty its text input when it worked."""
    if outcome[0] == "success" and clear:
        state[clear] = ""
    state.setdefault("wr_flash", []).append(outcome)


def acknowledge() -> None:
    alert = state.get("wr_ack_alert")
    flash(actions.acknowledge(store, alert, name, state.get("wr_ack_note", "")), "wr_ack_note")


def add_note() -> None:
    text, kind = state.get("wr_note_text", ""), state.get("wr_note_kind", "other")
    outcome = actions.add_note(store, week, text, kind, name, state.get("wr_note_metric"))
    flash(outcome, "wr_note_text")


def save_verdict() -> None:
    event_id, verdict = state.get("wr_review_event"), state.get("wr_review_verdict", "correct")
    comment = state.get("wr_review_comment", "")
    outcome = actions.record_verdict(store, event_id, week, verdict, name, comment)
    flash(outcome, "wr_review_comment")


def sign_off() -> None:
    flash(actions.sign_off(store, week, name, state.get("wr_signoff_comment", "")))


# -- header --------------------------------------------------------------------------------

for kind, text in state.pop("wr_flash", []):
    (st.success if kind == "success" else st.error)(text)

latest_signoff = weeks.latest_signoff(store, week)
st.markdown("  \n".join(weeks.week_facts(week_row, latest_signoff)))
if not name and any(ui.can(a) for a in ("acknowledge", "annotate", "review", "sign_off")):
    st.caption("Enter your name in the sidebar to acknowledge, annotate, review or sign off.")

catalog = ui.load(metric_definitions.metric_catalog)
versions = ui.load(annotations.version_change_annotations)
card = ui.load(scorecard.scorecard, week)
raw_alerts = ui.load(alerts.alerts_for_week, week)
week_alerts = alerts.attach_acknowledgements(
    raw_alerts, store.acknowledgements(raw_alerts["alert_key"].tolist())
)
unowned = ui.load(metric_definitions.unowned_metrics)

# One scrolling page, section by section: the review reads top to bottom like its export,
# and every chart is in the page (a chart in a hidden tab is never drawn).
SECTIONS = {
    "scorecard": "Scorecard",
    "alerts": "Alerts",
    "drift": "Drift",
    "data-quality": "Data quality",
    "notes": "Notes",
    "output-review": "Output review",
    "sign-off": "Sign-off & export",
}
st.markdown(" · ".join(f"[{title}](#{anchor})" for anchor, title in SECTIONS.items()))

# -- scorecard -----------------------------------------------------------------------------


def render_scorecard() -> None:
    ui.show_sql(*scorecard.QUERIES)
    if card.empty:
        st.info("No metrics in this snapshot: add SQL files under `sql/metrics/` and build.")
        return
    for row in card[card["status"] == "error"].itertuples():
        st.error(f"**{row.title}** (`{row.metric}`) failed to build: {row.error}")
    st.caption(scorecard.status_counts(card))
    for kind, table in scorecard.kind_tables(card):
        st.subheader(str(kind).capitalize())
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                "title": st.column_config.TextColumn("Metric"),
                "value_text": st.column_config.TextColumn("Value"),
                "change_text": st.column_config.TextColumn("vs last week"),
                "spark": st.column_config.LineChartColumn("Last 8 weeks"),
                "status_label": st.column_config.TextColumn("Status"),
                "owner": st.column_config.TextColumn("Owner"),
                "flag": st.column_config.TextColumn(
                    "Flag", help="provisional / partial / insufficient"
                ),
                "basis": st.column_config.TextColumn("Row", help="all = all-dimensions total"),
            },
            key=f"wr_scorecard_{kind}",
        )
    choices = scorecard.trend_choices(card)
    metric = st.selectbox("Trend of", list(choices), format_func=choices.get, key="wr_trend_metric")
    info = catalog[catalog["name"] == metric].iloc[0]
    series = ui.load(scorecard.metric_trend, metric)
    notes = annotations.chart_annotations(store, versions, metric)
    spec = ui.chart_spec(
        charts.trend_chart,
        series,
        title=f"{info['title']}, weekly",
        y_title=info["title"],
        unit=info["unit"],
        annotations=notes,
        thresholds=info["thresholds"],
    )
    st.vega_lite_chart(spec, width="stretch", key="wr_trend_chart")


st.header("Scorecard", anchor="scorecard", divider="gray")
guarded("Scorecard", render_scorecard)

# -- alerts --------------------------------------------------------------------------------


def render_alerts() -> None:
    ui.show_sql(*alerts.QUERIES)
    if week_alerts.empty:
        st.success("No metric is at a warn or alert level this week.")
    else:
        st.dataframe(
            week_alerts[alerts.SHOWN_COLUMNS],
            hide_index=True,
            width="stretch",
            column_config={
                "value": st.column_config.NumberColumn(format="%.4g"),
                "threshold": st.column_config.NumberColumn(format="%.4g"),
                "ack_by": "Acknowledged by",
                "ack_at": st.column_config.DatetimeColumn("At (UTC)", format="YYYY-MM-DD HH:mm"),
                "ack_note": "Note",
            },
            key="wr_alerts_table",
        )
        if ui.can("acknowledge"):
            labels = alerts.alert_labels(week_alerts)
            st.selectbox("Alert", list(labels), format_func=labels.get, key="wr_ack_alert")
            st.text_input(
                "Note", key="wr_ack_note", placeholder="what you found, what happens next"
            )
            st.button(
                "Acknowledge",
                key="wr_ack_button",
                on_click=acknowledge,
                disabled=not name,
            )
    st.subheader("Unowned metrics")
    if unowned:
        st.warning(
            f"{len(unowned)} metrics name no owner: "
            + ", ".join(f"`{m}`" for m in unowned)
            + ". Add `owner:` to their headers."
        )
    else:
        st.caption("Every metric names an owner.")


st.header("Alerts", anchor="alerts", divider="gray")
guarded("Alerts", render_alerts)

# -- drift ---------------------------------------------------------------------------------


def render_drift() -> None:
    ui.show_sql(*drift.QUERIES)
    cells = ui.load(drift.drift_heatmap_data, week)
    if cells.empty:
        st.info("No drift statistics for these weeks (features need a reference window first).")
        return
    st.vega_lite_chart(
        ui.chart_spec(
            drift_charts.heatmap,
            cells,
            "week_start",
            "feature",
            "psi",
            "Feature drift (PSI) by week: green < 0.1, amber < 0.25, red ≥ 0.25",
            color_title="PSI",
            thresholds=[0.1, 0.25],
            tooltip=["feature_type", "flag"],
        ),
        width="stretch",
        key="wr_drift_heatmap",
    )
    this_week = cells[cells["week_start"] == week].sort_values("psi", ascending=False)
    features = sorted(cells["feature"].unique())
    default = this_week["feature"].iloc[0] if len(this_week) else features[0]
    weeks_shown = sorted(cells["week_start"].unique(), reverse=True)
    left, right = st.columns(2)
    feature = left.selectbox(
        "Feature", features, index=features.index(default), key=f"wr_drift_feature_{week}"
    )
    drill_week = right.selectbox(
        "Week to compare",
        weeks_shown,
        index=weeks_shown.index(week) if week in weeks_shown else 0,
        key=f"wr_drift_week_{week}",
    )
    cell = ui.load(drift.drift_cell, feature, drill_week)
    if not cell:
        st.info(f"No drift statistics for {feature} in the week of {drill_week}.")
        return
    st.markdown(drift.drift_stats_text(cell))
    dist = ui.load(drift.distributions, feature, drill_week)
    st.vega_lite_chart(
        ui.chart_spec(
            drift_charts.distribution_chart,
            dist,
            title=f"{feature}: reference vs week of {drill_week} ({cell['feature_type']})",
        ),
        width="stretch",
        key="wr_drift_distribution",
    )


st.header("Drift", anchor="drift", divider="gray")
guarded("Drift", render_drift)

# -- data quality --------------------------------------------------------------------------


def render_quality() -> None:
    ui.show_sql(*data_quality.QUERIES)
    dq = ui.load(data_quality.dq_panel, week)
    left, right = st.columns(2)
    with left:
        st.subheader("Freshness")
        st.caption(
            "Hours from the newest row of each source to the end of the week (or the build)."
        )
        st.dataframe(
            dq["freshness"],
            hide_index=True,
            column_config={"hours": st.column_config.NumberColumn("Hours", format="%.1f")},
            key="wr_dq_freshness",
        )
        st.subheader("Null rates")
        if dq["null_rates"].empty:
            st.caption("No loads started in this week, so no null rates for it.")
        else:
            st.dataframe(
                dq["null_rates"],
                hide_index=True,
                column_config={
                    "null_rate": st.column_config.NumberColumn("Null rate", format="percent")
                },
                key="wr_dq_nulls",
            )
    with right:
        st.subheader("Newest load per table")
        st.dataframe(dq["loads"], hide_index=True, key="wr_dq_loads")
    st.subheader("Quarantined rows by reason")
    if dq["quarantine"].empty:
        st.success("No row has been quarantined.")
    else:
        st.dataframe(dq["quarantine"], hide_index=True, width="stretch", key="wr_dq_quarantine")


st.header("Data quality", anchor="data-quality", divider="gray")
guarded("Data quality", render_quality)

# -- notes ---------------------------------------------------------------------------------


def render_notes() -> None:
    ui.show_sql(*annotations.QUERIES)
    notes = annotations.week_notes(store, versions, week)
    if len(notes):
        st.dataframe(
            notes[["kind", "metric", "text", "author", "created_at"]],
            hide_index=True,
            width="stretch",
            key="wr_notes_table",
        )
    else:
        st.caption("No notes on this week yet.")
    if ui.can("annotate"):
        st.text_area("Note", key="wr_note_text", placeholder="e.g. model v2 rolled out to SMB")
        left, right = st.columns(2)
        kinds = actions.NOTE_KINDS
        left.selectbox("Type", list(kinds), format_func=kinds.get, key="wr_note_kind")
        metrics = [actions.WHOLE_WEEK, *catalog["name"]]
        right.selectbox("Metric (optional)", metrics, key="wr_note_metric")
        st.button("Add note", key="wr_note_add", on_click=add_note, disabled=not name)


st.header("Notes", anchor="notes", divider="gray")
guarded("Notes", render_notes)

# -- output review -------------------------------------------------------------------------

verdicts = store.verdicts(week)
sample = output_review.attach_verdicts(ui.load(output_review.output_sample, week), verdicts)
summary = output_review.verdict_summary(sample, verdicts)


def render_output_review() -> None:
    ui.show_sql(*output_review.QUERIES)
    if sample.empty:
        st.info("No AI outputs in this week to review.")
        return
    st.caption(
        "A reproducible sample of the week's outputs (the same week always gives the same "
        "events). Verdicts feed the `reviewed_accuracy` metric at the next build."
    )
    a, b = st.columns(2)
    a.metric("Judged", f"{summary['judged']} of {summary['sampled']}")
    b.metric("Reviewed accuracy", output_review.accuracy_text(summary))
    st.dataframe(
        sample[output_review.SAMPLE_COLUMNS],
        hide_index=True,
        width="stretch",
        column_config={"confidence": st.column_config.NumberColumn(format="%.2f")},
        key="wr_sample_table",
    )
    if ui.can("review"):
        choices = output_review.output_choices(sample)
        event_id = st.selectbox(
            "Output", list(choices), format_func=choices.get, key="wr_review_event"
        )
        st.caption(sample.loc[sample["event_id"] == event_id, "inputs"].iloc[0])
        st.radio("Verdict", ["correct", "incorrect"], horizontal=True, key="wr_review_verdict")
        st.text_input("Comment", key="wr_review_comment")
        st.button("Save verdict", key="wr_review_save", on_click=save_verdict, disabled=not name)


st.header("Output review", anchor="output-review", divider="gray")
guarded("Output review", render_output_review)

# -- sign-off and export -------------------------------------------------------------------


def render_signoff_export() -> None:
    ui.show_sql(*warehouse.QUERIES)
    if latest_signoff:
        st.success(f"Signed off by {weeks.signoff_text(latest_signoff)}")
    if ui.can("sign_off"):
        st.text_input("Sign-off comment", key="wr_signoff_comment")
        st.button(
            f"Sign off the week of {week}",
            key="wr_signoff_button",
            on_click=sign_off,
            disabled=not name,
            type="primary",
        )
    review = pack.review_pack(
        store,
        week,
        build_id=ui.load(warehouse.build_info)["build_id"],
        is_partial=bool(week_row["is_partial"]),
        author=name,
        scorecard=card,
        alerts=week_alerts,
        unowned=unowned,
        sample=sample,
        verdicts=summary,
        signoff=latest_signoff,
        data_quality=ui.load(data_quality.dq_panel, week),
    )
    for column, file in zip(st.columns(2), pack.downloads(review), strict=True):
        column.download_button(
            file.label,
            file.data,
            file_name=file.file_name,
            mime=file.mime,
            key=f"wr_export_{file.extension}",
        )


st.header("Sign-off & export", anchor="sign-off", divider="gray")
guarded("Sign-off and export", render_signoff_export)
