"""AppTest of the weekly review page over the session's demo warehouse (own state per test)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from outcomes.store.state import StateStore
from tests.apphelpers import ROOT, html_tags_and_text

PAGE = "app_pages/weekly_review.py"
LAST_COMPLETE = "2026-11-09"  # DEMO_END 2026-11-18 is in the partial week of 2026-11-16
OTHER_WEEK = "2026-08-03"


@pytest.fixture(autouse=True)
def _local_identity(monkeypatch):
    """Single-user mode's identity comes from the settings: each test sets its own."""
    monkeypatch.setenv("OUTCOMES_AUTH__LOCAL_USER", "Ana Ops")
    monkeypatch.setenv("OUTCOMES_AUTH__LOCAL_ROLE", "operator")


def _open(role: str = "operator", name: str = "Ana Ops", query: dict | None = None) -> AppTest:
    import streamlit as st

    os.environ["OUTCOMES_AUTH__LOCAL_USER"] = name
    os.environ["OUTCOMES_AUTH__LOCAL_ROLE"] = role
    st.cache_resource.clear()  # the settings are read once per process otherwise
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(PAGE)
    at.run()
    _no_errors(at)
    return at


def _no_errors(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _scorecard(at: AppTest):
    """The scorecard tables (one per kind) as one frame."""
    import pandas as pd

    frames = [d.value for d in at.dataframe if "status_label" in d.value.columns]
    assert frames, "no scorecard table on the page"
    return pd.concat(frames, ignore_index=True)


def _specs(at: AppTest) -> list[str]:
    return [c.proto.spec for c in at.get("vega_lite_chart")]


def _chart_rows(chart) -> list[dict]:
    """Rows of every dataset Streamlit moved out of a chart's spec (Arrow IPC bytes)."""
    import pyarrow as pa

    out: list[dict] = []
    for dataset in chart.proto.datasets:
        out += pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
    return out


def _button_keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button}


def test_default_is_last_complete_week_and_the_picker_changes_the_scorecard(demo_env):
    at = _open()
    assert at.selectbox(key="week").value == LAST_COMPLETE
    before = _scorecard(at).set_index("title")
    assert len(before) > 30
    at.selectbox(key="week").set_value(OTHER_WEEK).run()
    _no_errors(at)
    after = _scorecard(at).set_index("title")
    assert before.index.tolist() == after.index.tolist()
    changed = (before["value_text"] != after["value_text"]).sum()
    assert changed > 10, "picking another week should change most values"


def test_week_comes_from_the_link(demo_env):
    at = _open(query={"week": OTHER_WEEK})
    assert at.selectbox(key="week").value == OTHER_WEEK
    assert any("2026-08-03" in b.label for b in at.button if b.key == "wr_signoff_button")


def test_partial_week_is_marked(demo_env):
    at = _open(query={"week": "2026-11-16"})
    assert any("Partial week" in m.value for m in at.markdown)


def test_a_note_is_stored_and_drawn_on_the_trend_chart(demo_env):
    at = _open()
    text = "Rolled out prompt v7 to enterprise"
    assert not any(text in spec for spec in _specs(at))
    at.text_area(key="wr_note_text").input(text)
    at.selectbox(key="wr_note_kind").set_value("deploy")
    at.button(key="wr_note_add").click().run()
    _no_errors(at)
    notes = StateStore(demo_env.state_path).annotations()
    assert [
        (n.text, n.kind.value, n.author, n.week_start.isoformat(), n.metric) for n in notes
    ] == [(text, "deploy", "Ana Ops", LAST_COMPLETE, None)]
    trend = [s for s in _specs(at) if text in s]
    assert trend, "the note should be a mark on the trend chart"
    assert "model v2 first seen" in trend[0]  # model-version changes are drawn too
    # ... and on another metric's trend chart as well (a note on the whole week)
    at.selectbox(key="wr_trend_metric").set_value("latency_p95").run()
    assert any(text in s and "Latency" in s for s in _specs(at))


def _todo(at: AppTest):
    return next(d.value for d in at.dataframe if "why" in d.value.columns)


def test_what_needs_action_comes_first_new_alerts_first(demo_env):
    at = _open()
    headers = [h.value for h in at.header]
    assert headers[:3] == ["Needs action", "Biggest changes vs last week", "Scorecard"]
    todo = _todo(at)
    assert len(todo) > 0
    reasons = todo["why"].tolist()
    news = [r.startswith("new this week") for r in reasons]
    assert news == sorted(news, reverse=True), "new alerts lead the list"
    assert any("need action" in c.value for c in at.caption)
    subheaders = [h.value for h in at.subheader]
    assert any(h.startswith("New this week") for h in subheaders)
    assert any(h.startswith("Ongoing") for h in subheaders)
    assert any(h.startswith("Resolved since last week") for h in subheaders)


def test_acknowledging_an_alert_stores_who_and_when(demo_env):
    at = _open()
    key = at.selectbox(key="wr_ack_alert").value
    assert key.split("|")[1] == LAST_COMPLETE  # the week's alerts, those needing action first
    before_rows = len(_todo(at))
    at.text_input(key="wr_ack_note").input("Known: new product area launched")
    before = dt.datetime.now(dt.UTC)
    at.button(key="wr_ack_button").click().run()
    _no_errors(at)
    acks = StateStore(demo_env.state_path).acknowledgements([key])
    assert [(a.author, a.note) for a in acks] == [("Ana Ops", "Known: new product area launched")]
    assert acks[0].created_at >= before.replace(microsecond=0) - dt.timedelta(seconds=1)
    assert len(_todo(at)) == before_rows - 1
    (message,) = [s.value for s in at.success if s.value.startswith("Acknowledged")]
    assert "|" not in message  # named by its title, never by the internal key


def test_a_snooze_stops_paging_but_stays_listed(demo_env):
    from outcomes.app.views.weekly_review import triage
    from outcomes.store.snapshot import open_snapshot

    con = open_snapshot(demo_env)
    try:
        alerts = triage.triage(con, dt.date.fromisoformat(LAST_COMPLETE))
    finally:
        con.close()
    # a worsened alert pages again even while snoozed: snooze one that did not worsen
    key = next(r.alert_key for r in alerts.itertuples() if r.group != "resolved" and not r.worsened)
    at = _open()
    at.selectbox(key="wr_ack_alert").set_value(key).run()
    at.radio(key="wr_ack_action").set_value("snooze").run()
    at.number_input(key="wr_ack_weeks").set_value(3)
    at.text_input(key="wr_ack_note").input("retrain scheduled")
    at.button(key="wr_ack_button").click().run()
    _no_errors(at)
    (ack,) = StateStore(demo_env.state_path).acknowledgements([key])
    assert (ack.action, ack.snooze_weeks) == ("snooze", 3)
    statuses = " ".join(
        " ".join(d.value["status"]) for d in at.dataframe if "since" in d.value.columns
    )
    assert "snoozed by Ana Ops until the week of" in statuses


def test_sign_off_over_open_items_needs_a_reason_and_happens_once(demo_env):
    at = _open()
    assert any("Not signed off yet" in m.value for m in at.markdown)
    assert any("⬜" in m.value for m in at.markdown), "the checklist shows what is open"
    at.text_input(key="wr_signoff_comment").input("Reviewed with the ML team")
    at.button(key="wr_signoff_button").click().run()
    assert any("give a reason" in e.value for e in at.error)
    assert StateStore(demo_env.state_path).signoffs() == []
    at.text_input(key="wr_signoff_reason").input("drift is the known catalogue change")
    at.button(key="wr_signoff_button").click().run()
    assert "wr_signoff_button" not in _button_keys(at), "one sign-off per week and person"
    fresh = _open(role="viewer", name="Vera Viewer")
    shown = " ".join(m.value for m in fresh.markdown) + " ".join(s.value for s in fresh.success)
    assert "Signed off by **Ana Ops**" in shown
    assert "Reviewed with the ML team" in shown
    assert "because: drift is the known catalogue change" in shown
    (signed,) = StateStore(demo_env.state_path).signoffs()
    assert signed.author == "Ana Ops" and signed.open_items


def test_viewer_sees_no_actions(demo_env):
    at = _open(role="viewer")
    keys = _button_keys(at)
    for action in ("wr_ack_button", "wr_signoff_button", "wr_note_add", "wr_review_save"):
        assert action not in keys
    assert {"wr_ack_note", "wr_note_text"}.isdisjoint(
        {t.key for t in at.text_input} | {t.key for t in at.text_area}
    )
    assert len(at.get("download_button")) == 2  # reading and exporting stay open
    operator = _open(role="operator")
    assert {"wr_ack_button", "wr_signoff_button", "wr_note_add", "wr_review_save"} <= _button_keys(
        operator
    )


def test_output_review_verdict_is_stored(demo_env):
    at = _open()
    sample = next(d.value for d in at.dataframe if "inputs" in d.value.columns)
    assert len(sample) == 20
    again = _open()
    assert next(d.value for d in again.dataframe if "inputs" in d.value.columns)[
        "event_id"
    ].tolist() == (sample["event_id"].tolist()), "the sample is reproducible"
    event_id = sample["event_id"].iloc[3]
    at.selectbox(key="wr_review_event").set_value(event_id)
    at.radio(key="wr_review_verdict").set_value("incorrect")
    at.text_input(key="wr_review_comment").input("wrong product area")
    at.button(key="wr_review_save").click().run()
    _no_errors(at)
    verdicts = StateStore(demo_env.state_path).verdicts(dt.date.fromisoformat(LAST_COMPLETE))
    assert [(v.event_id, v.verdict.value, v.author, v.comment) for v in verdicts] == [
        (event_id, "incorrect", "Ana Ops", "wrong product area")
    ]
    assert any(m.value == "1 of 20" for m in at.metric)


def test_drift_drill_down_shows_reference_and_current(demo_env):
    # drift is per AI system (issue 15): the company view labels features "system · feature"
    company = _open()
    heatmap = next(c for c in company.get("vega_lite_chart") if '"rect"' in c.proto.spec)
    assert "ticket-assistant · channel" in {c["feature"] for c in _chart_rows(heatmap)}
    at = _open(query={"system": "ticket-assistant"})
    heatmap = next(c for c in at.get("vega_lite_chart") if '"rect"' in c.proto.spec)
    cells = _chart_rows(heatmap)
    assert {"ticket_length", "channel"} <= {c["feature"] for c in cells}
    assert LAST_COMPLETE in {c["week_start"] for c in cells}
    at.selectbox(key=f"wr_drift_feature_{LAST_COMPLETE}").set_value("channel").run()
    _no_errors(at)
    dist = next(c for c in at.get("vega_lite_chart") if "reference vs week of" in c.proto.spec)
    assert "channel" in dist.proto.spec
    rows = _chart_rows(dist)
    assert {r["sample"] for r in rows} == {"reference", "current"}
    for sample in ("reference", "current"):
        assert sum(r["share"] for r in rows if r["sample"] == sample) == pytest.approx(1.0)


@pytest.fixture
def media(monkeypatch):
    """Keep the AppTest media storage so a test can read what a download button serves."""
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    stores: list[MemoryMediaFileStorage] = []

    class Keeping(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Keeping)

    def read(url: str) -> str:
        name = Path(url).name
        for store in reversed(stores):
            try:
                return bytes(store.get_file(name).content).decode()
            except Exception:  # noqa: BLE001 - not in this run's storage
                continue
        raise AssertionError(f"no media file {url}")

    return read


def test_downloads_are_markdown_and_html_that_parse(demo_env, media):
    at = _open()
    buttons = {b.proto.id.rsplit("-", 1)[-1]: b.proto for b in at.get("download_button")}
    md = media(buttons["wr_export_md"].url)
    lines = md.splitlines()
    assert lines[0] == f"# Weekly review — week of {LAST_COMPLETE}"
    assert "| Metric | Value | Change vs last week | Status | Owner | Flag |" in lines
    assert any(line.startswith("| Accuracy |") for line in lines)
    page = media(buttons["wr_export_html"].url)
    tags, text = html_tags_and_text(page)
    assert tags[0] == "html" and tags.count("table") >= 6
    assert f"Weekly review — week of {LAST_COMPLETE}" in text and "Accuracy" in text


def test_no_snapshot_explains_how_to_load_data(monkeypatch, tmp_path):
    for key, value in {
        "OUTCOMES_WAREHOUSE_PATH": tmp_path / "none.duckdb",
        "OUTCOMES_RAW_PATH": tmp_path / "raw.duckdb",
        "OUTCOMES_STATE_PATH": tmp_path / "state.sqlite",
        "OUTCOMES_DEMO_DIR": tmp_path / "demo",
    }.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert any("outcomes build" in i.value for i in at.info)


def test_a_systems_review_signs_that_system_and_samples_its_outputs(demo_env):
    """?system=x (issue 15): the sign-off is that system's, the sample is of its events."""
    at = _open(query={"system": "invoice-matcher"})
    assert "invoice-matcher" in at.title[0].value
    sample = next(d.value for d in at.dataframe if "inputs" in d.value.columns)
    assert len(sample) and set(sample["system"]) == {"invoice-matcher"}
    at.text_input(key="wr_signoff_comment").input("matcher reviewed")
    if "wr_signoff_reason" in {t.key for t in at.text_input}:
        at.text_input(key="wr_signoff_reason").input("drift known, retrain planned")
    at.button(key="wr_signoff_button").click().run()
    _no_errors(at)
    store = StateStore(demo_env.state_path)
    (signed,) = store.signoffs(dt.date.fromisoformat(LAST_COMPLETE), "invoice-matcher")
    assert signed.author == "Ana Ops" and signed.comment == "matcher reviewed"
    assert store.signoffs() == [], "the company's review is not signed by it"
    company = _open()
    assert "wr_signoff_button" in _button_keys(company), "the company review is still open"
