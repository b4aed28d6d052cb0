"""SQL workbench: open a metric or start from a template, edit, validate, preview in a
sandbox, compare with the saved definition, save (analysts, when enabled) or download."""

import hashlib

import streamlit as st

from outcomes.app import streamlit_glue as ui
from outcomes.app.views import (
    catalog,
    draft_delete,
    draft_save,
    draft_validation,
    metric_detail,
    workbench,
)
from outcomes.app.views import schema_browser as schemas
from outcomes.app.views import snapshot_info as warehouse

try:  # ships its own JavaScript, works offline; a plain text area otherwise
    from code_editor import code_editor
except ImportError:  # pragma: no cover - the package is a dependency
    code_editor = None

st.title("🛠️ SQL workbench")

if ui.snapshot_key() is None:
    st.info(warehouse.NO_SNAPSHOT)
    st.stop()

settings = ui.settings()
state = st.session_state
if ui.current_system() is not None:
    # a definition is for every system (a `system` column): the filter never rewrites SQL
    st.caption(
        "The AI system filter does not apply here: a definition computes every system, and a "
        "preview shows its rows as written (filter on the `system` column to see one)."
    )
names = ui.load(catalog.catalog, str(settings.sql_dir))["name"].tolist()


def _open(name: str, text: str) -> None:
    state["wb_name"] = name
    if name in names and state.get("wb_existing") != name:
        state["wb_existing"] = name  # the box names the metric being edited
    state["wb_draft"] = text
    state["wb_gen"] = state.get("wb_gen", 0) + 1
    state["wb_text"] = text
    for key in ("wb_validation", "wb_preview", "wb_saved"):
        state.pop(key, None)


request = state.pop("wb_open_request", None)  # from the catalog's "Open in the SQL workbench"
if request:
    _open(request, workbench.current_text(settings, request) or workbench.template(request))
if "wb_draft" not in state:
    # first the first metric with a file of its own (a family's metrics are changed in its file)
    first = workbench.first_editable(settings, names)
    _open(
        first or "new_metric",
        workbench.current_text(settings, first) if first else workbench.template("new_metric"),
    )

with st.container(border=True):
    left, right = st.columns(2)
    with left:
        existing = st.selectbox("Open an existing metric", names, key="wb_existing")
        if st.button("Open", key="wb_open_button"):
            _open(existing, workbench.current_text(settings, existing) or "")
            st.rerun()
    with right:
        new_name = st.text_input(
            "…or start a new one named", key="wb_new_name", placeholder="e.g. resolution_rate"
        )
        if st.button("New from template", key="wb_new_button"):
            if not metric_detail.is_metric_name(new_name):
                st.error(
                    "A metric name is a lowercase identifier: a-z, 0-9 and _, starting with a letter."
                )
            elif new_name in names:
                st.error(f"`{new_name}` exists already: open it instead.")
            else:
                _open(new_name, workbench.template(new_name))
                st.rerun()

with st.expander("📖 Schema browser: every table and column you can query, with descriptions"):
    st.dataframe(ui.load(schemas.schema_columns), hide_index=True, key="wb_schema")

name = state["wb_name"]
saved = workbench.current_text(settings, name)
family = workbench.family_file(settings, name)
if family is None:
    st.markdown(f"Editing **`sql/metrics/{name}.sql`** " + ("(new file)" if saved is None else ""))
else:
    st.info(
        f"`{name}` is one of the metrics the blueprints of `sql/metrics/{family.name}` make: "
        "preview it here; change it in that file (every metric of the family at once)."
    )

plain = st.toggle(
    "Plain text editor",
    key="wb_plain",
    value=code_editor is None,
    disabled=code_editor is None,
    help="The code editor highlights SQL (Ctrl+Enter or pause typing to apply changes).",
)
if plain:
    draft = st.text_area("SQL", key="wb_text", height=460, label_visibility="collapsed")
    state["wb_draft"] = draft
else:
    response = code_editor(
        state["wb_draft"],
        lang="sql",
        height=[22, 40],
        response_mode="debounce",
        key=f"wb_code_{state['wb_gen']}",
        options={"wrap": False, "showLineNumbers": True},
    )
    if response and response.get("text") and response.get("id") != state.get("wb_code_seen"):
        state["wb_code_seen"] = response["id"]
        state["wb_draft"] = response["text"]
        state["wb_text"] = response["text"]
    draft = state["wb_draft"]

draft_key = hashlib.sha256(f"{name}\n{draft}".encode()).hexdigest()
validate_col, preview_col, _ = st.columns([1, 1, 4])
if validate_col.button("Validate", key="wb_validate", type="secondary"):
    state["wb_validation"] = (draft_key, draft_validation.validate_draft(draft, name, settings))
# preview runs the typed SQL on the server: for analysts and admins (authorised again inside)
if ui.can("preview_sql") and preview_col.button("Preview", key="wb_preview_button", type="primary"):
    state["wb_preview"] = (draft_key, *workbench.try_preview(draft, settings, ui.identity()))

validation = state.get("wb_validation")
if validation is not None:
    key, result = validation
    stale = " (of an earlier draft: validate again)" if key != draft_key else ""
    if result.ok:
        st.success(
            f"Valid: header, single SELECT, output columns and dependencies check out{stale}."
        )
    else:
        st.error(f"{len(result.errors)} problem{'s' if len(result.errors) != 1 else ''}{stale}:")
        for error in result.errors:
            if error.line and not error.file:
                st.markdown(f"**Line {error.line}:** {error.message}")
                st.code(workbench.error_context(draft, error.line), language="sql")
            else:
                st.markdown(f"- {error}")

current_series = ui.load(warehouse.metric_series, name) if saved is not None else None
preview = state.get("wb_preview")
if preview is not None:
    key, result, refusal = preview
    if key != draft_key:
        st.caption("This preview is of an earlier draft: preview again.")
    if refusal is not None:
        st.error(refusal)
    else:
        st.caption(
            f"Preview: {result.result.note} · sandbox: read-only, limits "
            f"{settings.sandbox.query_seconds:g} s, {settings.sandbox.memory}, "
            f"{settings.sandbox.rows:,} rows"
        )
        result_tab, chart_tab, compare_tab = st.tabs(
            ["Result", "Weekly chart", "Compare with saved"]
        )
        with result_tab:
            st.dataframe(result.result.frame, hide_index=True, width="stretch", height=320)
        with chart_tab:
            if result.note:
                st.info(result.note)
            if len(result.series):
                chart = workbench.comparison_chart(draft, name, current_series, result.series)
                st.altair_chart(chart, width="stretch")
        with compare_tab:
            ui.show_sql(*warehouse.VALUE_QUERIES)
            diff = workbench.sql_diff(saved, draft, name)
            st.markdown("**SQL diff** (saved → draft)")
            st.code(diff or "no change", language="diff")
            if current_series is not None and len(result.series):
                values = workbench.value_diff(current_series, result.series)
                st.markdown(
                    f"**Values per week** (all dimensions): {int(values['changed'].sum())} of "
                    f"{len(values)} weeks differ"
                )
                st.dataframe(
                    values,
                    hide_index=True,
                    width="stretch",
                    key="wb_value_diff",
                    column_config={
                        "week_start": st.column_config.DateColumn("Week", format="YYYY-MM-DD"),
                        "change_pct": st.column_config.NumberColumn("Change", format="percent"),
                    },
                )
            elif saved is None:
                st.info("A new metric: nothing saved to compare with.")

st.divider()
who = ui.identity()
allowed, why = draft_save.can_save(who)
validated = validation is not None and validation[0] == draft_key and validation[1].ok
if allowed:
    if not validated:
        st.caption("Validate this draft first: Save needs a passing Validate.")
    if st.button(
        "Save and rebuild", key="wb_save", type="primary", icon="💾", disabled=not validated
    ):
        try:
            with st.spinner("Saving and rebuilding the snapshot (a full build)…"):
                result = draft_save.save_draft(draft, name, settings, who=who)
        except draft_save.SaveRefused as refusal:
            st.error(refusal.reason)
        else:
            state["wb_saved"] = result
            st.rerun()
    if saved is not None and family is None:
        with st.expander(f"🗑️ Delete metric `{name}`"):
            st.caption(
                "The file is removed and the snapshot rebuilt; the audit log keeps who, when, "
                "why and the whole file, so it can be restored."
            )
            reason = st.text_input("Why", key="wb_delete_why")
            if st.button(f"Delete {name}", key="wb_delete", disabled=not reason.strip()):
                try:
                    with st.spinner("Deleting and rebuilding the snapshot…"):
                        gone = draft_delete.delete_metric(name, settings, who=who, why=reason)
                except draft_save.SaveRefused as refusal:
                    st.error(refusal.reason)
                else:
                    st.success(f"Deleted `{gone.path.name}` (audit entry {gone.audit_id}).")
                    if gone.build_error:
                        st.error(f"The rebuild could not run: {gone.build_error}")
else:
    st.caption(why)
st.download_button(
    f"Download {workbench.download_name(name)}",
    data=draft,
    file_name=workbench.download_name(name),
    mime="text/plain",
    key="wb_download",
)

saved_result = state.get("wb_saved")
if saved_result is not None:
    build = saved_result.build
    st.success(
        f"Saved `{saved_result.path.name}` (audit entry {saved_result.audit_id})"
        + (
            f"; rebuilt the whole snapshot: build `{build.build_id}` {build.status}"
            if build
            else ""
        )
    )
    if saved_result.build_error:
        st.error(f"The rebuild could not run: {saved_result.build_error}")
    elif build is not None and build.object(name).status != "ok":
        st.error(f"`{name}` failed in the rebuild: {build.object(name).error}")
    else:
        rebuilt = ui.load(catalog.catalog, str(settings.sql_dir))
        row = rebuilt[rebuilt["name"] == name]
        if len(row):
            st.metric(
                f"Rebuilt value of {name} (newest complete week)",
                row.iloc[0]["last"],
            )
