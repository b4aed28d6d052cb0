"""AppTest: the model-health page over the demo warehouse, and its empty state."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.apphelpers import ROOT
from tests.chartspecs import chart, charts

PAGE = "app_pages/model_health.py"


def _open() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page(PAGE)
    at.run()
    return at


def test_page_draws_every_health_metric_with_version_annotations(demo_env):
    at = _open()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    titles = [c["title"] for c in charts(at)]
    for expected in (
        "Accuracy",
        "Error rate",
        "Expected calibration error",
        "Latency p95",
        "Override rate",
        "Acceptance rate",
    ):
        assert any(t and t.startswith(expected + " by model version") for t in titles), (
            expected,
            titles,
        )
    accuracy = chart(at, "Accuracy by")
    rows = accuracy["rows"]
    assert {r.get("Model version") for r in rows if "Model version" in r} >= {"v1", "v2"}
    # the version change is drawn as a note on the chart, thresholds as rules
    assert any(r.get("text") == "model v2 first seen" for r in rows)
    assert any(r.get("level") == "alert" for r in rows)
    # the y axis carries the unit
    assert "Accuracy (%)" in json.dumps(accuracy["spec"])
    at.radio(key="health_latency").set_value("latency_p99").run()
    assert "Latency p99 (ms)" in json.dumps(chart(at, "Latency p99 by model version")["spec"])


def test_split_by_segment_and_filters_change_the_lines(demo_env):
    at = _open()
    at.radio(key="health_split").set_value("segment").run()
    at.multiselect(key="health_versions").set_value(["v2"]).run()
    assert not at.exception
    accuracy = chart(at, "Accuracy by segment")
    series = {r["Segment"] for r in accuracy["rows"] if "Segment" in r}
    assert series == {"enterprise", "mid_market", "smb"}
    # a percentile cannot be rolled up over versions: drawn per version x segment, and said so
    latency = chart(at, "Latency p95")
    assert {
        r["Model version × Segment"] for r in latency["rows"] if "Model version × Segment" in r
    } == {"v2 · enterprise", "v2 · mid_market", "v2 · smb"}
    assert any("not additive" in c.value for c in at.caption)


def test_without_a_warehouse_the_page_explains_how_to_load_data(demo_env, monkeypatch, tmp_path):
    monkeypatch.setenv("OUTCOMES_WAREHOUSE_PATH", str(tmp_path / "none.duckdb"))
    at = _open()
    assert not at.exception
    assert any("No data yet" in i.value and "outcomes build" in i.value for i in at.info)
