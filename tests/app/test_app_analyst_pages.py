"""AppTest over the analyst pages and the data page, on the session's demo warehouse:
the catalog filters, a metric's page shows its lineage, the workbench validates, previews
and saves (file written, audit entry, rebuilt value shown)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from outcomes.config import Settings
from outcomes.core.registry import load_registry
from outcomes.store.parts import copy_snapshot
from outcomes.store.state import StateStore
from tests.apphelpers import sign_in
from tests.conftest import ROOT


def open_page(page: str, *, name: str = "", role: str = "viewer") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    sign_in(at, role, name)  # who and the role come from st.user, never from a widget
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def table_with(at: AppTest, *columns: str):
    """The first table shown whose columns include ``columns`` (plain st.dataframe elements
    carry no key in AppTest)."""
    for frame in at.dataframe:
        if set(columns) <= set(frame.value.columns):
            return frame.value
    raise AssertionError(f"no table with columns {columns}")


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


# -- catalog ------------------------------------------------------------------------------


def test_catalog_lists_every_metric_and_filters_by_search(demo_env):
    at = open_page("app_pages/catalog.py")
    table = table_with(at, "link", "build_status")
    assert len(table) == len(load_registry(ROOT / "sql").by_schema()["metrics"]) == 46
    at.text_input(key="catalog_search").input("latency")
    ok(at.run())
    table = table_with(at, "link", "build_status")
    assert sorted(table["link"]) == [
        "catalog?metric=latency_p50",
        "catalog?metric=latency_p95",
        "catalog?metric=latency_p99",
    ]
    assert any("3 of" in c.value for c in at.caption)


def test_catalog_filters_by_kind_owner_and_status(demo_env):
    at = open_page("app_pages/catalog.py")
    at.multiselect(key="catalog_kinds").select("cost")
    ok(at.run())
    table = table_with(at, "link", "build_status")
    assert len(table) and set(table["kind"]) == {"cost"}
    at.multiselect(key="catalog_owners").select("ml-platform@example.com")
    ok(at.run())
    assert table_with(at, "link", "build_status").empty
    at.multiselect(key="catalog_kinds").unselect("cost")
    at.multiselect(key="catalog_statuses").select("no thresholds")
    ok(at.run())
    table = table_with(at, "link", "build_status")
    assert len(table) and set(table["owner"]) == {"ml-platform@example.com"}
    assert set(table["status"]) == {"no thresholds"}


def test_a_metrics_page_shows_its_lineage_both_ways(demo_env):
    at = open_page("app_pages/catalog.py")
    at.selectbox(key="metric").select("hours_saved")
    ok(at.run())
    text = markdown(at)
    assert (
        "Analyst hours saved" in "\n".join(s.value for s in at.subheader) or "hours_saved" in text
    )
    assert "`staging.work_items`" in text  # what it reads
    assert "`raw.work_items`" in text  # the raw table underneath
    assert "[metrics.cost_per_hour_saved](catalog?metric=cost_per_hour_saved)" in text  # users
    assert any("hours_saved.sql" in c.value for c in at.code) or any(
        "select" in c.value for c in at.code
    )
    assert at.get("vega_lite_chart"), "the weekly chart is missing"


def test_a_metrics_page_opens_from_the_query_parameter(demo_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("app_pages/catalog.py")
    at.query_params["metric"] = "accuracy"
    ok(at.run())
    text = markdown(at)
    assert "`staging.feedback`" in text and "`raw.feedback`" in text
    assert any(m.label == "Build" and m.value == "ok" for m in at.metric)


# -- workbench ----------------------------------------------------------------------------


@pytest.fixture
def editable(demo_env, demo_root: Path, tmp_path: Path, monkeypatch) -> Settings:
    """Its own SQL folder and snapshot copy (the session's stay untouched)."""
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql)
    copy_snapshot(demo_root / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("OUTCOMES_SQL_DIR", str(sql))
    monkeypatch.setenv("OUTCOMES_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    return Settings()


def open_in_workbench(at: AppTest, metric: str) -> str:
    at.toggle(key="wb_plain").set_value(True)
    ok(at.run())
    at.selectbox(key="wb_existing").select(metric)
    at.button(key="wb_open_button").click()
    ok(at.run())
    return at.text_area(key="wb_text").value


def test_workbench_validation_shows_errors_at_their_line(demo_env):
    at = open_page("app_pages/workbench.py")
    text = open_in_workbench(at, "event_volume")
    assert text == (ROOT / "sql" / "metrics" / "event_volume.sql").read_text()
    broken = text.replace("from staging.ai_events", "from staging.ai_eventz")
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if "staging.ai_eventz" in t)
    at.text_area(key="wb_text").input(broken)
    at.button(key="wb_validate").click()
    ok(at.run())
    assert at.error and "1 problem" in at.error[0].value
    assert f"**Line {line}:** unknown dependency 'staging.ai_eventz'" in markdown(at)
    assert any("> " in c.value and "staging.ai_eventz" in c.value for c in at.code)


def test_workbench_preview_shows_the_result_the_chart_and_the_diff(demo_env):
    at = open_page("app_pages/workbench.py", name="ana", role="analyst")
    text = open_in_workbench(at, "event_volume")
    at.text_area(key="wb_text").input(
        text.replace("c.events::double as value", "c.events::double * 2 as value")
    )
    at.button(key="wb_validate").click()
    at.run()
    assert at.success and at.success[0].value.startswith("Valid")
    at.button(key="wb_preview_button").click()
    ok(at.run())
    assert not at.error, [e.value for e in at.error]
    table_with(at, "week_start", "action_tier", "value")  # the preview's result
    assert at.get("vega_lite_chart"), "the weekly chart is missing"
    values = table_with(at, "current", "draft")
    assert values["changed"].all() and (values["draft"] == 2 * values["current"]).all()
    assert any("+    c.events::double * 2 as value," in c.value for c in at.code)


def test_workbench_preview_explains_a_refusal(demo_env):
    at = open_page("app_pages/workbench.py", name="ana", role="analyst")
    text = open_in_workbench(at, "event_volume")
    at.text_area(key="wb_text").input(text + ";\ndrop table metrics.event_volume")
    at.button(key="wb_preview_button").click()
    ok(at.run())
    assert "Refused (statements)" in at.error[0].value
    assert "exactly one SELECT" in at.error[0].value


def test_workbench_without_edit_rights_offers_a_download(demo_env):
    at = open_page("app_pages/workbench.py", name="otto", role="operator")
    assert not _has_button(at, "wb_save") and not _has_button(at, "wb_preview_button")
    assert any("needs the analyst or admin role" in c.value for c in at.caption)
    assert at.get("download_button")


def _has_button(at: AppTest, key: str) -> bool:
    try:
        at.button(key=key)
    except KeyError:
        return False
    return True


def test_workbench_saves_logs_and_shows_the_rebuilt_value(editable, demo_root):
    at = open_page("app_pages/workbench.py", name="ana", role="analyst")
    text = open_in_workbench(at, "event_volume")
    draft = text.replace("c.events::double as value", "c.events::double * 2 as value")
    at.text_area(key="wb_text").input(draft)
    ok(at.run())
    at.button(key="wb_validate").click()  # Save needs a passing Validate of this draft
    ok(at.run())
    at.button(key="wb_save").click()
    ok(at.run())
    assert not at.error, [e.value for e in at.error]
    # file written
    assert (editable.sql_dir / "metrics" / "event_volume.sql").read_text() == draft
    assert (ROOT / "sql" / "metrics" / "event_volume.sql").read_text() == text
    # audit entry: who and the diff
    (entry,) = StateStore(editable.state_path).audit_log(entity="metric", entity_key="event_volume")
    assert entry.actor == "ana" and "+    c.events::double * 2 as value," in entry.detail["diff"]
    # rebuilt: the success message names the build, the value shown is the new one
    assert any("rebuilt the whole snapshot" in s.value for s in at.success)
    (shown,) = [m for m in at.metric if m.label.startswith("Rebuilt value of event_volume")]
    at2 = open_page("app_pages/catalog.py")
    row = table_with(at2, "link", "build_status")
    new_last = row[row["link"] == "catalog?metric=event_volume"]["last"].iloc[0]
    assert shown.value == new_last
    old = _session_last_value(demo_root, "event_volume")
    assert float(new_last.replace(",", "")) == pytest.approx(2 * old)


def _session_last_value(demo_root: Path, metric: str) -> float:
    """The metric's total in the session's (unchanged) demo snapshot for the newest week up to
    the last complete one, the week the catalog shows (the demo's data may end before the
    calendar does: it is built with today's clock)."""
    from outcomes.store.snapshot import open_file

    con = open_file(demo_root / "warehouse.duckdb")
    try:
        return con.execute(
            "select value from main.metric_values where metric = ? and dimensions = '{}' "
            "and week_start <= (select max(week_start) from staging.weeks where not is_partial) "
            "order by week_start desc limit 1",
            [metric],
        ).fetchall()[0][0]
    finally:
        con.close()


# -- data page ----------------------------------------------------------------------------


def test_data_page_shows_loads_quarantine_freshness_and_contracts(demo_env):
    at = open_page("app_pages/data.py")
    ledger = table_with(at, "rows_accepted", "loaded_by")
    assert {"ai_events", "costs", "feedback"} <= set(ledger["table"])
    assert (ledger["rows_in"] == ledger["rows_accepted"] + ledger["rows_quarantined"]).all()
    assert len(table_with(at, "reason", "raw_values")) > 0
    at.selectbox(key="data_q_table").select("costs")
    ok(at.run())
    rows = table_with(at, "reason", "raw_values")
    assert len(rows) and set(rows["table"]) == {"costs"}
    assert at.json, "the raw values of the inspected row are not shown"
    fresh = table_with(at, "newest_row", "hours_behind_build")
    assert set(fresh[fresh["source"] == "ai_events"]["status"]) <= {"fresh", "stale"}
    assert len(at.expander) >= 8 and "Key:" in markdown(at)


def test_workbench_box_names_the_metric_being_edited(demo_env):
    """On first visit the editor holds the first metric with a file of its own; the box above
    it named the first metric of the list (a family's member) instead."""
    at = open_page("app_pages/workbench.py")
    at.toggle(key="wb_plain").set_value(True)
    ok(at.run())
    editing = at.session_state["wb_name"]
    assert at.selectbox(key="wb_existing").value == editing
    assert (
        at.text_area(key="wb_text").value
        == (ROOT / "sql" / "metrics" / f"{editing}.sql").read_text()
    )
    # opened from the catalog: the box follows
    at.session_state["wb_open_request"] = "event_volume"
    ok(at.run())
    assert at.selectbox(key="wb_existing").value == "event_volume"
    assert at.text_area(key="wb_text").value.startswith("/* ---\nname: event_volume")
