"""Weekly review of the company or of one AI system (?system=x): what needs action, what changed,
scorecard, alerts, drift, data quality, notes, output review, sign-off and export. Layout only;
the figures come from outcomes.app.views.weekly_review and outcomes.app.charts."""

import datetime as dt

import streamlit as st

from outcomes.app import charts, drift_charts
from outcomes.app import streamlit_glue as ui
from outcomes.app.markup import md_text
from outcomes.app.views import annotations, metric_definitions
from outcomes.app.views import snapshot_info as warehouse
from outcomes.app.views.weekly_review import (
    actions,
    alerts,
    changes,
    checklist,
    data_quality,
    drift,
    output_review,
    pack,
    scorecard,
    triage,
    weeks,
)

system = ui.current_system()  # the sidebar's AI system filter (?system=x), None = the company
st.title("🗓️ Weekly review" + (f" · {md_text(system)}" if system else ""))

if ui.snapshot_key() is None:
    st.info(weeks.NO_SNAPSHOT)
    st.stop()

calendar = ui.load(weeks.weeks)
if calendar.empty:
    st.info(weeks.NO_WEEKS)
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
who = ui.identity()  # the signed-in subject (or the local identity), never a widget
name = who.subject if who else ""
store = ui.state_store()
state = st.session_state


def section(anchor: str, render, divider: str = "gray") -> None:
    """Draw one section under its header; a failure shows an error card in it and the rest
    of the page still works."""
    st.header(SECTIONS[anchor], anchor=anchor, divider=divider)
    try:
        render()
    except Exception as exc:  # noqa: BLE001 - any failure of one panel stays in that panel
        st.error(f"**{SECTIONS[anchor]}** could not be shown: {exc}")


def table(frame, labels: dict, key: str, **config) -> None:
    """A full-width table without its index, columns named by ``labels``."""
    st.dataframe(
        frame, hide_index=True, width="stretch", column_config={**labels, **config}, key=key
    )


# -- actions (callbacks run before the rerun draws the page, so tables show the new rows) ----
# They read ack_choices and open_now, set further down: a callback runs at the next rerun.


def flash(outcome: tuple[str, str], section: str, clear: str | None = None) -> None:
    """Keep the action's message for the rerun, shown in the section it was taken in (and
    as a toast); empty its text input when it worked."""
    if outcome[0] == "success" and clear:
        state[clear] = ""
    state.setdefault("wr_flash", []).append((section, *outcome))


def show_flash(section: str) -> None:
    """The messages of the actions taken in ``section`` since the last run."""
    kept = []
    for where, kind, text in state.get("wr_flash", []):
        if where != section:
            kept.append((where, kind, text))
            continue
        (st.success if kind == "success" else st.error)(text)
        st.toast(text, icon="✅" if kind == "success" else "⚠️")
    state["wr_flash"] = kept


def acknowledge() -> None:
    alert = state.get("wr_ack_alert")
    action = state.get("wr_ack_action", "acknowledge")
    reference = (state.get("wr_ack_ref_start"), state.get("wr_ack_ref_end"))
    outcome = actions.acknowledge(
        store,
        alert,
        who,
        state.get("wr_ack_note", ""),
        label=ack_choices.get(alert, "the alert"),
        action=action,
        snooze_weeks=int(state.get("wr_ack_weeks") or 0),
        reference=reference if all(reference) else None,
    )
    flash(outcome, "needs-action", "wr_ack_note")


def add_note() -> None:
    text, kind = state.get("wr_note_text", ""), state.get("wr_note_kind", "other")
    outcome = actions.add_note(store, week, text, kind, who, state.get("wr_note_metric"))
    flash(outcome, "notes", "wr_note_text")


def save_verdict() -> None:
    event_id, verdict = state.get("wr_review_event"), state.get("wr_review_verdict", "correct")
    comment = state.get("wr_review_comment", "")
    outcome = actions.record_verdict(store, event_id, week, verdict, who, comment)
    flash(outcome, "output-review", "wr_review_comment")


def sign_off() -> None:
    outcome = actions.sign_off(
        store,
        week,
        who,
        state.get("wr_signoff_comment", ""),
        open_now,
        state.get("wr_signoff_reason", ""),
        system,
    )
    flash(outcome, "sign-off")


# -- header --------------------------------------------------------------------------------

signoffs = store.signoffs(week, system)  # the company's review, or the system's
latest_signoff = signoffs[-1] if signoffs else None
st.markdown("  \n".join(weeks.week_facts(week_row, latest_signoff)))
if not name and any(ui.can(a) for a in ("acknowledge", "annotate", "review", "sign_off")):
    st.caption("Enter your name in the sidebar to acknowledge, annotate, review or sign off.")

with st.spinner("Loading the week's review…"):
    catalog = ui.load(metric_definitions.metric_catalog)
    versions = ui.load(annotations.version_change_annotations)
    card = ui.load(scorecard.scorecard, week, system)
    raw_alerts = ui.load(alerts.alerts_for_week, week, system)
    triaged = ui.load(triage.triage, week, system)
    unowned = ui.load(metric_definitions.unowned_metrics)
week_alerts = alerts.attach_acknowledgements(
    raw_alerts, store.acknowledgements(raw_alerts["alert_key"].tolist())
)
alert_state = triage.with_state(
    triaged, store.acknowledgements(), week, ui.settings().review_overdue_weeks
)
todo = triage.needs_action(alert_state)
ack_choices = triage.alert_choices(alert_state)
verdicts = store.verdicts(week)
with st.spinner("Sampling the week's outputs…"):
    drawn = ui.load(output_review.output_sample, week, 20, None, system)
    sample = output_review.attach_verdicts(drawn, verdicts)
summary = output_review.verdict_summary(sample, verdicts)
open_now = checklist.open_items(alert_state, summary, unowned)

# One scrolling page, section by section, in the order a reviewer acts: what needs action,
# what moved, then the full scorecard (every chart is in the page: a hidden tab draws none).
SECTIONS = weeks.SECTIONS
st.markdown(" · ".join(f"[{title}](#{anchor})" for anchor, title in SECTIONS.items()))

# -- needs action ----------------------------------------------------------------------------


def render_needs_action() -> None:
    ui.show_sql(*triage.QUERIES)
    show_flash("needs-action")
    st.caption(triage.counts_text(alert_state))
    if triage.new_text(alert_state):
        st.markdown(triage.new_text(alert_state))
    if todo.empty:
        st.success("Nothing needs action: every alert is acknowledged, snoozed or accepted.")
    else:
        table(todo[list(triage.TODO_LABELS)], triage.TODO_LABELS, "wr_todo_table")
    if unowned:
        st.warning(checklist.unowned_text(unowned))
    if ack_choices and ui.can("acknowledge"):
        render_acknowledge()


def render_acknowledge() -> None:
    st.subheader("Acknowledge, snooze or accept")
    st.selectbox("Alert", list(ack_choices), format_func=ack_choices.get, key="wr_ack_alert")
    choice = ui.choice_radio(
        st,
        "What to do",
        actions.ACK_CHOICES,
        "wr_ack_action",
        help="A snooze or an accepted reference stops the alert paging (here and in the "
        "digest); it stays listed, marked with who did it and why.",
    )
    if choice == "snooze":
        st.number_input("Weeks", min_value=1, max_value=26, value=2, step=1, key="wr_ack_weeks")
    if choice == "accept_reference":
        left, right = st.columns(2)
        left.date_input(
            "New reference from", value=week - dt.timedelta(days=28), key="wr_ack_ref_start"
        )
        right.date_input("to", value=week, key="wr_ack_ref_end")
    st.text_input("Note", key="wr_ack_note", placeholder="what you found, what happens next")
    st.button("Acknowledge", key="wr_ack_button", on_click=acknowledge, disabled=not name)


section("needs-action", render_needs_action, divider="red")

# -- biggest changes -------------------------------------------------------------------------


def render_changes() -> None:
    moved = changes.biggest_changes(card)
    if moved.empty:
        st.caption("No metric changed against last week.")
        return
    table(moved, changes.CHANGE_LABELS, "wr_changes_table")


section("changes", render_changes)

# -- scorecard -----------------------------------------------------------------------------


def render_scorecard() -> None:
    ui.show_sql(*scorecard.QUERIES)
    if card.empty:
        st.info("No metrics in this snapshot: add SQL files under `sql/metrics/` and build.")
        return
    for row in card[card["status"] == "error"].itertuples():
        st.error(f"**{md_text(row.title)}** (`{row.metric}`) failed to build: {md_text(row.error)}")
    st.caption(scorecard.status_counts(card))
    for kind, rows in scorecard.kind_tables(card):
        st.subheader(str(kind).capitalize())
        spark = st.column_config.LineChartColumn("Last 8 weeks")
        table(rows, scorecard.COLUMN_LABELS, f"wr_scorecard_{kind}", spark=spark)
    choices = scorecard.trend_choices(card)
    metric = st.selectbox("Trend of", list(choices), format_func=choices.get, key="wr_trend_metric")
    info = catalog[catalog["name"] == metric].iloc[0]
    series = ui.load(scorecard.metric_trend, metric, None, system)
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


section("scorecard", render_scorecard)

# -- alerts --------------------------------------------------------------------------------


def render_alerts() -> None:
    ui.show_sql(*alerts.QUERIES)
    if alert_state.empty:
        st.success("No metric is at a warn or alert level this week or last week.")
        return
    titles = {"new": "New this week", "ongoing": "Ongoing", "resolved": "Resolved since last week"}
    for group in triage.GROUPS:
        rows = triage.group_table(alert_state, group)
        st.subheader(f"{titles[group]} ({len(rows)})")
        if rows.empty:
            st.caption("None.")
            continue
        table(rows, triage.GROUP_LABELS, f"wr_alerts_{group}")


section("alerts", render_alerts)

# -- drift ---------------------------------------------------------------------------------


def render_drift() -> None:
    ui.show_sql(*drift.QUERIES)
    cells = ui.load(drift.drift_heatmap_data, week, 26, system)
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
    cell = ui.load(drift.drift_cell, feature, drill_week, system)
    if not cell:
        st.info(f"No drift statistics for {md_text(feature)} in the week of {drill_week}.")
        return
    st.markdown(drift.drift_stats_text(cell))
    dist = ui.load(drift.distributions, feature, drill_week, 12, system)
    st.vega_lite_chart(
        ui.chart_spec(
            drift_charts.distribution_chart,
            dist,
            title=f"{feature}: reference vs week of {drill_week} ({cell['feature_type']})",
        ),
        width="stretch",
        key="wr_drift_distribution",
    )


section("drift", render_drift)

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
        hours = st.column_config.NumberColumn("Hours", format="%.1f")
        st.dataframe(
            dq["freshness"], hide_index=True, column_config={"hours": hours}, key="wr_dq_freshness"
        )
        st.subheader("Null rates")
        if dq["null_rates"].empty:
            st.caption("No loads started in this week, so no null rates for it.")
        else:
            rate = {"null_rate": st.column_config.NumberColumn("Null rate", format="percent")}
            st.dataframe(dq["null_rates"], hide_index=True, column_config=rate, key="wr_dq_nulls")
    with right:
        st.subheader("Newest load per table")
        st.dataframe(dq["loads"], hide_index=True, key="wr_dq_loads")
    st.subheader("Quarantined rows by reason")
    if dq["quarantine"].empty:
        st.success("No row has been quarantined.")
    else:
        st.dataframe(dq["quarantine"], hide_index=True, width="stretch", key="wr_dq_quarantine")


section("data-quality", render_quality)

# -- notes ---------------------------------------------------------------------------------


def render_notes() -> None:
    ui.show_sql(*annotations.QUERIES)
    show_flash("notes")
    notes = annotations.week_notes(store, versions, week)
    if len(notes):
        table(notes[["kind", "metric", "text", "author", "created_at"]], {}, "wr_notes_table")
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


section("notes", render_notes)

# -- output review -------------------------------------------------------------------------


def render_output_review() -> None:
    ui.show_sql(*output_review.QUERIES)
    show_flash("output-review")
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
        st.caption(md_text(sample.loc[sample["event_id"] == event_id, "inputs"].iloc[0]))
        st.radio("Verdict", ["correct", "incorrect"], horizontal=True, key="wr_review_verdict")
        st.text_input("Comment", key="wr_review_comment")
        st.button("Save verdict", key="wr_review_save", on_click=save_verdict, disabled=not name)


section("output-review", render_output_review)

# -- sign-off and export -------------------------------------------------------------------


def render_signoff_export() -> None:
    ui.show_sql(*warehouse.QUERIES)
    show_flash("sign-off")
    for signed in signoffs:
        st.success(f"Signed off by {weeks.signoff_text(signed)}")
    st.subheader("Checklist")
    st.markdown(
        "  \n".join(
            f"{'✅' if done else '⬜'} {line}"
            for line, done in checklist.checklist(alert_state, summary, unowned)
        )
    )
    for item in open_now:
        st.markdown(f"- Open: {item}")
    mine = [s for s in signoffs if s.author == name]
    if mine:
        st.caption(f"You signed this week off at {mine[0].created_at:%Y-%m-%d %H:%M} UTC.")
    elif ui.can("sign_off"):
        st.text_input("Sign-off comment", key="wr_signoff_comment")
        if open_now:
            st.text_input(
                "Reason for signing over the open items (required, stored and shown)",
                key="wr_signoff_reason",
            )
        st.button(
            f"Sign off the week of {week}" + (f" for {md_text(system)}" if system else ""),
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
        system=system,
    )
    for column, file in zip(st.columns(2), pack.downloads(review), strict=True):
        column.download_button(
            file.label,
            file.data,
            file_name=file.file_name,
            mime=file.mime,
            key=f"wr_export_{file.extension}",
        )


section("sign-off", render_signoff_export)
