"""Weekly review: one week's scorecard, alerts, drift, data quality, notes, output review,
sign-off and export. Layout only; the figures come from outcomes.app.views.weekly_review and outcomes.app.charts."""

import datetime as dt

import streamlit as st

from outcomes.app import charts
from outcomes.app import streamlit_glue as ui
from outcomes.app.views import annotations
from outcomes.app.views import snapshot_info as warehouse
from outcomes.app.views import weekly_review as review
from outcomes.store.state import AnnotationKind, StateError

STATUS_ICON = {
    "alert": "🔴 alert",
    "warn": "🟠 warn",
    "ok": "🟢 ok",
    "no_threshold": "⚪ no threshold",
    "insufficient": "⚪ insufficient",
    "error": "❌ error",
}
NOTE_KINDS = {k.value: k.value.replace("_", " ").capitalize() for k in AnnotationKind}
WHOLE_WEEK = "(whole week)"

st.title("🗓️ Weekly review")

if ui.snapshot_key() is None:
    st.info(
        "No data yet. Run `make run` (generates the demo), or load your files with "
        "`outcomes ingest <file> --table <table>` and then `outcomes build`."
    )
    st.stop()

calendar = ui.load(review.weeks)
if calendar.empty:
    st.info(
        "The snapshot has no AI events, so there is no week to review. Load some with "
        "`outcomes ingest <file> --table ai_events`, then `outcomes build`."
    )
    st.stop()

options = [w.isoformat() for w in calendar["week_start"]]
default_week = review.default_week(calendar)
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


def flash(kind: str, text: str) -> None:
    st.session_state.setdefault("wr_flash", []).append((kind, text))


def guarded(title: str, render) -> None:
    """Draw one panel; a failure shows an error card and the rest of the page still works."""
    try:
        render()
    except Exception as exc:  # noqa: BLE001 - any failure of one panel stays in that panel
        st.error(f"**{title}** could not be shown: {exc}")


# -- actions (callbacks run before the rerun draws the page, so tables show the new rows) ----


def acknowledge() -> None:
    key = st.session_state.get("wr_ack_alert")
    try:
        store.acknowledge_alert(key, name, st.session_state.get("wr_ack_note", ""))
        st.session_state["wr_ack_note"] = ""
        flash("success", f"Acknowledged {key}.")
    except StateError as exc:
        flash("error", f"Not acknowledged: {exc}")


def add_note() -> None:
    metric = st.session_state.get("wr_note_metric")
    try:
        store.add_annotation(
            week,
            st.session_state.get("wr_note_text", ""),
            st.session_state.get("wr_note_kind", "other"),
            name,
            metric=None if metric in (None, WHOLE_WEEK) else metric,
        )
        st.session_state["wr_note_text"] = ""
        flash("success", "Note added; it shows on every trend chart of that week.")
    except StateError as exc:
        flash("error", f"Note not added: {exc}")


def save_verdict() -> None:
    event_id = st.session_state.get("wr_review_event")
    try:
        store.record_verdict(
            event_id,
            week,
            st.session_state.get("wr_review_verdict", "correct"),
            name,
            st.session_state.get("wr_review_comment", ""),
        )
        st.session_state["wr_review_comment"] = ""
        flash("success", f"Verdict on {event_id} saved.")
    except StateError as exc:
        flash("error", f"Verdict not saved: {exc}")


def sign_off() -> None:
    try:
        store.sign_off(week, name, st.session_state.get("wr_signoff_comment", ""))
        flash("success", f"Week of {week} signed off.")
    except StateError as exc:
        flash("error", f"Not signed off: {exc}")


# -- header --------------------------------------------------------------------------------

for kind, text in st.session_state.pop("wr_flash", []):
    (st.success if kind == "success" else st.error)(text)

signoffs = store.signoffs(week)
latest_signoff = signoffs[-1] if signoffs else None
facts = []
if week_row["is_partial"]:
    facts.append("⏳ **Partial week**: it had not ended when this snapshot was built.")
if week_row["provisional"]:
    facts.append(f"🟡 {week_row['provisional']} metric rows are **provisional** (few labels yet).")
if latest_signoff:
    facts.append(
        f"✅ Signed off by **{latest_signoff.author}** at "
        f"{latest_signoff.created_at:%Y-%m-%d %H:%M} UTC"
        + (f": {latest_signoff.comment}" if latest_signoff.comment else "")
    )
else:
    facts.append("✍️ Not signed off yet.")
st.markdown("  \n".join(facts))
if not name and any(ui.can(a) for a in ("acknowledge", "annotate", "review", "sign_off")):
    st.caption("Enter your name in the sidebar to acknowledge, annotate, review or sign off.")

catalog = ui.load(review.metric_catalog)
versions = ui.load(annotations.version_change_annotations)
scorecard = ui.load(review.scorecard, week)
raw_alerts = ui.load(review.alerts_for_week, week)
week_alerts = review.attach_acknowledgements(
    raw_alerts, store.acknowledgements(raw_alerts["alert_key"].tolist())
)
unowned = ui.load(review.unowned_metrics)

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
    if scorecard.empty:
        st.info("No metrics in this snapshot: add SQL files under `sql/metrics/` and build.")
        return
    for row in scorecard[scorecard["status"] == "error"].itertuples():
        st.error(f"**{row.title}** (`{row.metric}`) failed to build: {row.error}")
    counts = scorecard["status"].value_counts()
    st.caption(
        " · ".join(f"{STATUS_ICON[s]}: {counts.get(s, 0)}" for s in STATUS_ICON if counts.get(s, 0))
    )
    shown = scorecard.assign(
        status_label=scorecard["status"].map(STATUS_ICON),
        spark=[charts.sparkline_points(s) for s in scorecard["spark"]],
    )
    for kind in shown["kind"].drop_duplicates():
        group = shown[shown["kind"] == kind]
        st.subheader(str(kind).capitalize())
        st.dataframe(
            group[
                [
                    "title",
                    "value_text",
                    "change_text",
                    "spark",
                    "status_label",
                    "owner",
                    "flag",
                    "basis",
                ]
            ].fillna({"flag": ""}),
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
    titles = dict(zip(scorecard["metric"], scorecard["title"], strict=True))
    metric = st.selectbox(
        "Trend of",
        list(titles),
        format_func=lambda m: f"{titles[m]} ({m})",
        key="wr_trend_metric",
    )
    info = catalog[catalog["name"] == metric].iloc[0]
    series = ui.load(review.metric_trend, metric)
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
    if week_alerts.empty:
        st.success("No metric is at a warn or alert level this week.")
    else:
        st.dataframe(
            week_alerts[
                [
                    "level",
                    "title",
                    "dimension",
                    "value",
                    "threshold",
                    "mode",
                    "owner",
                    "ack_by",
                    "ack_at",
                    "ack_note",
                ]
            ],
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
            labels = {
                r.alert_key: f"{r.level.upper()} · {r.title} · {r.dimension}"
                + (f" (acknowledged by {r.ack_by})" if r.ack_by else "")
                for r in week_alerts.itertuples()
            }
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
    cells = ui.load(review.drift_heatmap_data, week)
    if cells.empty:
        st.info("No drift statistics for these weeks (features need a reference window first).")
        return
    st.vega_lite_chart(
        ui.chart_spec(
            charts.heatmap,
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
    cell = ui.load(review.drift_cell, feature, drill_week)
    if not cell:
        st.info(f"No drift statistics for {feature} in the week of {drill_week}.")
        return
    stats = [f"PSI **{cell.get('psi', float('nan')):.3f}**"]
    if cell.get("js_distance") is not None:
        stats.append(f"JS distance {cell['js_distance']:.3f}")
    if cell["feature_type"] == "numeric" and cell.get("ks_pvalue") is not None:
        stats.append(f"KS p-value {cell['ks_pvalue']:.3g}")
    if cell["feature_type"] == "categorical" and cell.get("chi2_pvalue") is not None:
        stats.append(f"χ² p-value {cell['chi2_pvalue']:.3g}")
    stats.append(
        f"reference {cell['reference_start']} to {cell['reference_end']} "
        f"({cell['n_reference']:,.0f} rows) vs {cell['n_current']:,.0f} rows this week"
    )
    if cell.get("flag"):
        stats.append(f"flag: {cell['flag']}")
    st.markdown(" · ".join(stats))
    dist = ui.load(review.distributions, feature, drill_week)
    st.vega_lite_chart(
        ui.chart_spec(
            charts.distribution_chart,
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
    dq = ui.load(review.dq_panel, week)
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
        left.selectbox("Type", list(NOTE_KINDS), format_func=NOTE_KINDS.get, key="wr_note_kind")
        right.selectbox("Metric (optional)", [WHOLE_WEEK, *catalog["name"]], key="wr_note_metric")
        st.button("Add note", key="wr_note_add", on_click=add_note, disabled=not name)


st.header("Notes", anchor="notes", divider="gray")
guarded("Notes", render_notes)

# -- output review -------------------------------------------------------------------------

sample = review.attach_verdicts(ui.load(review.output_sample, week), store.verdicts(week))
summary = review.verdict_summary(sample, store.verdicts(week))


def render_output_review() -> None:
    if sample.empty:
        st.info("No AI outputs in this week to review.")
        return
    st.caption(
        "A reproducible sample of the week's outputs (the same week always gives the same "
        "events). Verdicts feed the `reviewed_accuracy` metric at the next build."
    )
    a, b = st.columns(2)
    a.metric("Judged", f"{summary['judged']} of {summary['sampled']}")
    b.metric(
        "Reviewed accuracy",
        "–" if summary["accuracy"] is None else f"{summary['accuracy']:.1%}",
    )
    st.dataframe(
        sample[
            [
                "event_id",
                "prediction",
                "confidence",
                "model_version",
                "segment",
                "inputs",
                "verdict",
                "comment",
                "judged_by",
            ]
        ],
        hide_index=True,
        width="stretch",
        column_config={"confidence": st.column_config.NumberColumn(format="%.2f")},
        key="wr_sample_table",
    )
    if ui.can("review"):
        predictions = dict(zip(sample["event_id"], sample["prediction"], strict=True))
        event_id = st.selectbox(
            "Output",
            list(predictions),
            format_func=lambda e: f"{e} → {predictions[e]}",
            key="wr_review_event",
        )
        st.caption(sample.loc[sample["event_id"] == event_id, "inputs"].iloc[0])
        st.radio("Verdict", ["correct", "incorrect"], horizontal=True, key="wr_review_verdict")
        st.text_input("Comment", key="wr_review_comment")
        st.button("Save verdict", key="wr_review_save", on_click=save_verdict, disabled=not name)


st.header("Output review", anchor="output-review", divider="gray")
guarded("Output review", render_output_review)

# -- sign-off and export -------------------------------------------------------------------


def render_signoff_export() -> None:
    if latest_signoff:
        st.success(
            f"Signed off by {latest_signoff.author} at {latest_signoff.created_at:%Y-%m-%d %H:%M} UTC"
            + (f": {latest_signoff.comment}" if latest_signoff.comment else "")
        )
    if ui.can("sign_off"):
        st.text_input("Sign-off comment", key="wr_signoff_comment")
        st.button(
            f"Sign off the week of {week}",
            key="wr_signoff_button",
            on_click=sign_off,
            disabled=not name,
            type="primary",
        )
    pack = review.ReviewPack(
        week=week,
        build_id=ui.load(warehouse.build_info)["build_id"],
        is_partial=bool(week_row["is_partial"]),
        generated_at=dt.datetime.now(dt.UTC),
        generated_by=name or None,
        scorecard=scorecard,
        alerts=week_alerts,
        unowned=unowned,
        notes=annotations.notes_frame(store.annotations(start=week, end=week)),
        sample=sample,
        verdicts=summary,
        signoff=None
        if latest_signoff is None
        else {
            "author": latest_signoff.author,
            "created_at": latest_signoff.created_at,
            "comment": latest_signoff.comment,
        },
        data_quality=ui.load(review.dq_panel, week),
    )
    left, right = st.columns(2)
    left.download_button(
        "Download Markdown",
        review.review_markdown(pack),
        file_name=f"weekly-review-{week}.md",
        mime="text/markdown",
        key="wr_export_md",
    )
    right.download_button(
        "Download HTML",
        review.review_html(pack),
        file_name=f"weekly-review-{week}.html",
        mime="text/html",
        key="wr_export_html",
    )


st.header("Sign-off & export", anchor="sign-off", divider="gray")
guarded("Sign-off and export", render_signoff_export)
