"""Data: the load ledger, the quarantine with reasons and raw values, freshness per source,
and the contract of each raw table."""

import streamlit as st

from outcomes.app import streamlit_glue as ui
from outcomes.app.markup import md_text
from outcomes.app.views import data as loads
from outcomes.app.views import snapshot_info as warehouse
from outcomes.app.views import systems

st.title("🗄️ Data")


def show_table(frame, key: str, **column_config) -> None:
    """One full-width table of the page, without its index."""
    st.dataframe(frame, hide_index=True, width="stretch", key=key, column_config=column_config)


if ui.snapshot_key() is None:
    st.info(warehouse.NO_SNAPSHOT)
    st.stop()

system = ui.current_system()  # the sidebar's AI system filter (?system=x), None = the company
st.caption(
    "As of the current snapshot: loads made after the last build appear after the next `outcomes build`."
    + (
        ""
        if system is None
        else f" Loads, quarantine and contracts are per source file, which holds every AI system; "
        f"freshness below is {md_text(system)}'s."
    )
)
loads_tab, quarantine_tab, freshness_tab, contracts_tab = st.tabs(
    ["Loads", "Quarantine", "Freshness", "Contracts"]
)

with loads_tab:
    ui.show_sql(*loads.LOAD_QUERIES)
    ledger = ui.load(loads.load_ledger)
    st.caption(f"{len(ledger)} loads · rows in = accepted + quarantined + skipped")
    show_table(
        ledger.drop(columns=["source_file"]),
        "data_loads",
        loaded_at=st.column_config.DatetimeColumn("Loaded at (UTC)", format="YYYY-MM-DD HH:mm"),
        rows_in=st.column_config.NumberColumn("Rows in", format="localized"),
        rows_accepted=st.column_config.NumberColumn("Accepted", format="localized"),
        rows_quarantined=st.column_config.NumberColumn("Quarantined", format="localized"),
        rows_skipped=st.column_config.NumberColumn("Skipped", format="localized"),
        rows_corrected=st.column_config.NumberColumn("Corrected", format="localized"),
    )

with quarantine_tab:
    ui.show_sql(*loads.QUARANTINE_QUERIES)
    summary = ui.load(loads.quarantine_summary)
    if summary.empty:
        st.success("No row has been quarantined.")
    else:
        st.markdown("**By table and rule**")
        show_table(summary, "data_q_summary")
        options = ui.load(loads.quarantine_filters)
        left, right = st.columns(2)
        table = left.selectbox(
            "Table", options["tables"], index=None, key="data_q_table", placeholder="all tables"
        )
        rule = right.selectbox(
            "Rule", options["rules"], index=None, key="data_q_rule", placeholder="all rules"
        )
        rows = ui.load(loads.quarantine_rows, table, rule, None, 500)
        st.caption(f"{len(rows)} rows shown (at most 500)")
        reason = st.column_config.TextColumn("Reason", width="large")
        show_table(rows.drop(columns=["failures"]), "data_q_rows", reason=reason)
        if len(rows):
            pick = st.selectbox(
                "Inspect a row",
                range(len(rows)),
                format_func=lambda i: (
                    f"{rows.iloc[i]['file']} row {rows.iloc[i]['row_number']} · {rows.iloc[i]['rule']}"
                ),
                key="data_q_pick",
            )
            chosen = rows.iloc[pick]
            st.markdown(f"**Reason:** {md_text(chosen['reason'])}")
            raw_col, fail_col = st.columns(2)
            raw_col.markdown("**Raw values, as in the file**")
            raw_values, failures = loads.row_values(chosen)
            raw_col.json(raw_values)
            fail_col.markdown("**Every failure of this row**")
            fail_col.json(failures)

with freshness_tab:
    ui.show_sql(*loads.FRESHNESS_QUERIES)
    freshness = ui.load(loads.source_freshness)
    as_of, limit = ui.load(loads.freshness_basis)
    st.caption(
        f"Newest row of each source vs the build time ({as_of:%Y-%m-%d %H:%M} UTC); "
        f"event sources older than {limit:g} h are stale."
        if as_of is not None
        else "The build time is unknown."
    )
    stale = freshness[freshness["status"] == "stale"]
    for source in stale["source"]:
        st.warning(f"`{source}` is stale: its newest row is older than the freshness target.")
    show_table(
        freshness,
        "data_freshness",
        last_load=st.column_config.DatetimeColumn("Last load (UTC)", format="YYYY-MM-DD HH:mm"),
        newest_row=st.column_config.DatetimeColumn("Newest row (UTC)", format="YYYY-MM-DD HH:mm"),
        hours_behind_build=st.column_config.NumberColumn("Hours behind build", format="%.1f"),
    )
    st.subheader("Per AI system, against its freshness SLA")
    ui.show_sql("data_system_freshness", "systems_register")
    per_system = ui.load(systems.system_freshness)
    if system is not None:
        per_system = per_system[per_system["system"] == system]
    show_table(
        per_system,
        "data_system_freshness",
        newest_event=st.column_config.DatetimeColumn(
            "Newest event (UTC)", format="YYYY-MM-DD HH:mm"
        ),
        hours_behind_build=st.column_config.NumberColumn("Hours behind build", format="%.1f"),
        sla_hours=st.column_config.NumberColumn("SLA (hours)", format="%g"),
    )

with contracts_tab:
    for name, text in loads.contracts():
        with st.expander(name):
            st.markdown(text)
