"""ROI: what the AI programme returned, from the audited ledger. Headline with changes against
the previous period, charts, "show working" on every figure, and the downloads."""

import functools

import streamlit as st

from outcomes.app import streamlit_glue as ui
from outcomes.app.markup import md_text
from outcomes.app.views import annotations
from outcomes.app.views import snapshot_info as warehouse
from outcomes.app.views.roi import closes as roi_closes
from outcomes.app.views.roi import (
    downloads,
    figure_working,
    headline,
    panel_sql,
    register_notes,
    series,
    summaries,
    windows,
)
from outcomes.app.views.roi.working_panel import Working


def show_sql(sql: tuple[tuple[str, str], ...], what: str) -> None:
    """A popover with the SQL files behind a figure or a panel."""
    with st.popover(f"SQL behind {what} ({len(sql)} file{'s' if len(sql) > 1 else ''})"):
        for name, text in sql:
            st.markdown(f"`{name}`")
            st.code(text, language="sql")


def show_panel_sql(panel: str, what: str) -> None:
    """The SQL popover of one panel (an error card if its SQL cannot be read)."""
    try:
        show_sql(ui.load(panel_sql.panel_sql, panel), what)
    except Exception as exc:
        st.error(f"The SQL behind {what} could not be read: {exc}")


def show_working(work: Working) -> None:
    """Formula with its numbers, notes, inputs with their sources, SQL and rows of a figure."""
    st.markdown(f"**{md_text(work.title)}**")
    if work.formula:
        st.code(f"{work.formula}\n= {work.formula_filled}\n= {work.result}", language="text")
    for text in work.notes:
        st.caption(text)
    if len(work.inputs):
        st.markdown("Inputs and their sources")
        st.dataframe(work.inputs, hide_index=True, width="stretch")
    if work.sql:
        show_sql(work.sql, "this figure")
    if len(work.rows):
        st.markdown(work.rows_title)
        st.dataframe(work.rows, hide_index=True, width="stretch")


system = ui.current_system()  # the sidebar's filter, ?system=x in the URL (issue 15)
st.title("💰 ROI" + (f" · {md_text(system)}" if system else ""))
st.caption(
    "Value against cost of the AI programme, from the ROI ledger finance audits. Every figure "
    "opens to its formula, inputs, sources and SQL under **Show working**."
)
if system:
    st.info(
        f"Showing AI system **{md_text(system)}**: its own ledger rows (its lines and its share "
        "of shared costs), its ROI range and working, its inference budget projection (from "
        "the systems register) and its ledger CSV. The workbook, the audit pack and the "
        "one-page summary are the company's; pick *All systems* in the sidebar for the company."
    )
    st.page_link("app_pages/portfolio.py", label="Back to the portfolio", icon="🧭")

if ui.snapshot_key() is None:
    st.info(
        "No data yet. Run `make run` (generates and builds the demo data), or load your own files "
        "with `outcomes ingest <file> --table <table>` and build them with `outcomes build`; the "
        "ROI ledger is built from the lines in `sql/roi`."
    )
    st.stop()

settings = ui.settings()
try:
    calendar = ui.load(windows.ledger_calendar)
except Exception as exc:  # a broken snapshot: an error card, not a traceback
    st.error(f"The ROI ledger could not be read: {exc}")
    st.stop()
if calendar.missing:
    st.info(f"No ROI ledger in this snapshot yet: {calendar.missing}.")
    st.stop()
if not calendar.weeks:
    st.info(
        "The ROI ledger is empty: no ROI line produced a week. Check `outcomes status` for ROI "
        "lines that failed, and that costs, assumptions and events are loaded."
    )
    st.stop()

info = ui.load(warehouse.build_info)
age = warehouse.snapshot_age_hours(info)
if age is not None and age > settings.freshness_hours:
    st.warning(
        f"⏱️ These figures come from a snapshot built {age:,.0f} hours ago, older than the "
        f"{settings.freshness_hours:,.0f}-hour freshness target. Run `outcomes build` for current figures."
    )
try:
    register = ui.load(
        register_notes.register_notes,
        str(settings.sql_dir),
        str(settings.demo_dir),
        str(settings.assumptions_file),
    )
except Exception as exc:
    register = None
    st.error(f"The ROI lines and the register could not be checked: {exc}")
if register is not None:
    if register.demo_banner():
        st.info(f"🧪 {register.demo_banner()}")
    for gap in register.gaps:
        st.warning(f"🧩 {gap}")
    for failed in register.failed_lines():
        st.warning(f"❌ {failed}. See the Data page or `outcomes status`.")
elif info["failed_objects"]:
    st.warning(
        f"{info['failed_objects']} definitions failed in this build: ROI lines that depend on them may "
        "be missing. See the Data page or `outcomes status`."
    )

# -- period picker ---------------------------------------------------------------------------

try:
    closes = roi_closes.closed_periods(settings, ui.state_store())
except Exception as exc:
    closes = []
    st.error(f"Closed periods could not be read from the state store: {exc}")
closed_labels = {c.period for c in closes}


def _with_lock(label: str) -> str:
    return f"{label} 🔒 closed" if label in closed_labels else label


kind_col, label_col, _ = st.columns([2.2, 1.3, 1.5])
kind = ui.choice_radio(
    kind_col,
    "Period",
    windows.WINDOW_KINDS,
    "roi_kind",
    bind="query-params",  # the period is in the URL: a link shares it
)
custom = None
label = None
if kind in ("month", "quarter"):
    options = windows.period_labels(calendar.weeks, kind)
    default = windows.default_label(options, kind, calendar.last_day)
    label = label_col.selectbox(
        "Month" if kind == "month" else "Quarter",
        options,
        index=options.index(default),
        format_func=_with_lock,
        key=f"roi_{kind}",
        bind="query-params",
    )
elif kind == "custom":
    picked = label_col.date_input(
        "From – to",
        value=windows.default_custom(calendar),
        min_value=calendar.weeks[0],
        max_value=calendar.last_day,
        key="roi_custom",
    )
    picked = tuple(picked) if isinstance(picked, (tuple, list)) else (picked,)
    custom = (picked[0], picked[-1]) if picked else windows.default_custom(calendar)
window = windows.make_window(
    kind, label, weeks=calendar.weeks, as_of=calendar.last_day, custom=custom
)
prior = windows.previous_window(window, calendar.anchor)
st.caption(
    f"**{window.label}**: weeks starting {window.span} · changes against the {prior.label} "
    f"({prior.span}) · amounts in {calendar.currency}, rounded for display"
)
coverage = windows.coverage_note(prior, calendar)
if coverage:
    st.caption(f"ℹ️ {coverage}")


show_panel_sql("period", "the period picker")

notes = []
try:
    notes = roi_closes.window_notes(ui.connection(), settings, ui.state_store(), window, closes)
except Exception as exc:
    st.error(f"Restatements could not be checked against the closed periods: {exc}")
for note in notes:
    if note.restated:
        st.warning(f"🔁 {note.describe(calendar.currency)}")
    else:
        st.caption(f"🔒 {note.describe(calendar.currency)}")

for kind_, text in st.session_state.pop("roi_close_flash", []):
    (st.success if kind_ == "success" else st.error)(text)
if window.closable and window.closable not in closed_labels:
    # shown to admins only; close_window authorises again on the server
    if ui.can("close_period"):
        provisional = st.checkbox(
            "Close provisionally (partial weeks or provisional lines; marked PROVISIONAL everywhere)",
            key="roi_close_provisional",
        )
        if st.button(f"Close {window.closable}", key="roi_close", icon="🔒"):
            st.session_state["roi_close_flash"] = [
                roi_closes.close_window(
                    ui.connection(),
                    settings,
                    ui.state_store(),
                    window.closable,
                    ui.identity(),
                    provisional,
                )
            ]
            st.rerun()
    else:
        st.caption(f"Closing {window.closable} needs the admin role.")

# -- headline --------------------------------------------------------------------------------

current = history = None
try:
    # one cached call: the window, the previous period and inception to date
    found = ui.load(
        summaries.window_summaries, window.start, window.end, prior.start, prior.end, system
    )
    current, history = found.current, found.history
    figures = headline.headline(found, prior, window.label)
    figures = roi_closes.with_originals(
        figures, roi_closes.original_figures(current, notes), calendar.currency
    )
    if not current.weeks:
        st.info(f"The ledger has no week starting in {window.label}: pick another period.")
    for badge in found.status.badges() if found.status else ():
        st.warning(f"⏳ {window.label} is not final: {badge}")
    for row in (figures[:3], figures[3:]):
        for column, figure in zip(st.columns(3), row, strict=False):
            with column:
                st.metric(
                    figure.full_label,
                    figure.text,
                    delta=figure.delta,
                    delta_color=figure.delta_color,
                    delta_arrow=figure.arrow,
                    delta_description=f"vs {prior.label}" if figure.delta else None,
                    help=figure.help,
                    border=True,
                )
                if figure.badges:
                    st.caption(" · ".join(f"⏳ {b.split(':')[0]}" for b in figure.badges))
                if figure.alert:
                    st.caption(f"⚠️ :red[{figure.alert}]")
                if figure.original:
                    st.caption(f"🔁 Restated · as closed: **{figure.original}**")
    if current.weeks:
        with st.spinner("Computing the ROI range…"):
            span = ui.load(headline.headline_range, window.start, window.end, system)
        st.caption(f"📏 {headline.range_text(span, calendar.currency, window)}")
except Exception as exc:
    st.error(f"The headline figures could not be computed: {exc}")
    figures = []
show_panel_sql("headline", "the headline")


with st.expander("🔎 Show working: formula with the numbers, inputs and their sources, SQL, rows"):
    if figures:
        # one figure at a time: each working reads the ledger and the SQL behind it
        labels = {f.key: f.label for f in figures}
        key = ui.choice_radio(st, "Figure", labels, "roi_working_figure")
        try:
            show_working(ui.load(figure_working.working, key, found, system))
        except Exception as exc:
            st.error(f"The working of {labels[key]} could not be shown: {exc}")
    st.divider()
    st.markdown(
        "**One line in one week**: every input with its metric, assumption (owner, date) or cost rows"
    )
    if system is None:
        st.caption("A company line sums the AI systems' lines: pick a system for its inputs.")
    if current is not None and current.lines:
        line_col, week_col = st.columns(2)
        line_titles = {t.line_id: f"{t.title} ({t.category})" for t in current.lines}
        line_id = line_col.selectbox(
            "Line", list(line_titles), format_func=line_titles.get, key="roi_trace_line"
        )
        weeks = ui.load(windows.period_weeks, window.start, window.end)
        week = week_col.selectbox(
            "Week", weeks, format_func=lambda d: f"{d:%Y-%m-%d}", key="roi_trace_week"
        )
        try:
            show_working(ui.load(figure_working.line_working, line_id, week, system))
        except Exception as exc:
            st.error(f"The working of {line_id} in week {week} could not be shown: {exc}")

# -- charts ----------------------------------------------------------------------------------

if history is not None and history.weeks:
    try:
        notes_on_chart = annotations.chart_annotations(
            ui.state_store(), ui.load(annotations.version_change_annotations), "roi"
        )
        st.vega_lite_chart(
            ui.chart_spec(series.cumulative, history, window, notes_on_chart), width="stretch"
        )
    except Exception as exc:
        st.error(f"The cumulative value chart could not be drawn: {exc}")
    show_panel_sql("cumulative", "this chart")

left, right = st.columns(2)
with left:
    try:
        if current is not None and current.lines:
            st.vega_lite_chart(ui.chart_spec(series.waterfall, current, window), width="stretch")
            show_panel_sql("waterfall", "the waterfall")
    except Exception as exc:
        st.error(f"The waterfall could not be drawn: {exc}")
with right:
    try:
        table = ui.load(series.sensitivity_table, window.start, window.end, system)
        if len(table):
            st.vega_lite_chart(ui.chart_spec(series.tornado, table, window), width="stretch")
            st.caption(
                "Assumption ranges come from the register (low / high of the version each week used)."
            )
            show_panel_sql("tornado", "the ROI range")
        else:
            st.info(
                "No assumption used in this period has a low / high range: no ROI range to show."
            )
    except Exception as exc:
        st.error(f"The ROI range (sensitivity) could not be computed: {exc}")

if current is not None and current.lines:
    st.subheader("Lines in the period")
    st.dataframe(series.line_table(current), hide_index=True, width="stretch")
    show_panel_sql("lines", "this table")

# -- downloads -------------------------------------------------------------------------------

st.subheader("Downloads")
slug = windows.slug(window)
columns = st.columns(5)
try:
    columns[0].download_button(
        "Ledger (CSV)",
        ui.load(downloads.ledger_csv_bytes, window.start, window.end, system),
        file_name=f"roi-ledger-{slug}.csv",
        mime="text/csv",
        key="roi_dl_csv",
        on_click="ignore",
    )
    columns[1].download_button(
        "Ledger (XLSX)",
        ui.load(downloads.ledger_xlsx_bytes, window.start, window.end, window.label),
        file_name=f"roi-ledger-{slug}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="roi_dl_xlsx",
        on_click="ignore",
    )
except Exception as exc:
    st.error(f"The ledger export could not be built: {exc}")
note_texts = tuple(n.describe(calendar.currency) for n in notes)
if window.closable:
    columns[2].download_button(
        "Audit pack (ZIP)",
        functools.partial(
            downloads.with_snapshot, settings, downloads.audit_pack_bytes, settings, window.closable
        ),
        file_name=f"audit-pack-{window.closable}.zip",
        mime="application/zip",
        key="roi_dl_pack",
        on_click="ignore",
        help="Ledger, inputs, assumptions, SQL and a manifest of hashes finance can verify without Outcomes.",
    )
else:
    columns[2].button(
        "Audit pack (ZIP)",
        disabled=True,
        key="roi_dl_pack_off",
        help="Audit packs are per month or quarter: pick one to download its pack.",
    )
summary_args = (window.kind, window.label, window.start, window.end, note_texts)
for column, form, mime, help_text in (
    (
        columns[3],
        "html",
        "text/html",
        "Self-contained: figures, charts as images, lines and notes; forward it as it is.",
    ),
    (columns[4], "pdf", "application/pdf", None),
):
    column.download_button(
        f"One-page summary ({form.upper()})",
        functools.partial(
            downloads.with_snapshot, settings, downloads.summary_bytes, form, *summary_args
        ),
        file_name=f"roi-summary-{slug}.{form}",
        mime=mime,
        key=f"roi_dl_{form}",
        on_click="ignore",
        help=help_text,
    )
show_panel_sql("downloads", "the ledger downloads")
st.caption(
    f"Build `{calendar.build_id}` · {calendar.lines} ROI lines · ledger amounts are exact decimals; "
    "the CSV keeps all 10 places, the workbook recomputes every amount with live formulas."
)
