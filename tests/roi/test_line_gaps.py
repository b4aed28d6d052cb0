"""A customer's install starts with an empty register (issue 13): every ROI line that cannot be
computed says which assumption or input is missing and how to add it; figures built on the
demo's assumptions are marked as such."""

from __future__ import annotations

import datetime as dt

from outcomes.build.full import build_snapshot
from outcomes.core.registry import load_registry
from outcomes.demo_pipeline import LOAD_ORDER
from outcomes.ingest.demo import generate_demo
from outcomes.ingest.load import ingest_path
from outcomes.roi.line_gaps import demo_assumption_keys, describe_gaps, line_gaps
from outcomes.store.snapshot import open_snapshot
from tests.conftest import settings_for

END = dt.date(2026, 3, 4)


def test_the_demo_has_every_line_and_says_its_assumptions_are_the_demos(demo_settings):
    with open_snapshot(demo_settings) as con:
        assert line_gaps(con, load_registry(demo_settings.sql_dir, strict=False)) == []
        keys = demo_assumption_keys(con, demo_settings.demo_dir)
    assert {"loaded_hourly_cost", "build_cost", "monthly_budget"} <= set(keys)


def test_a_customer_build_without_a_register_names_what_is_missing(tmp_path):
    settings = settings_for(tmp_path)
    files = generate_demo(settings.demo_dir, seed=7, events=1_500, end=END).paths
    for table in LOAD_ORDER:
        if table != "assumptions":  # the customer's own data, no register yet
            ingest_path(files[table], table, settings, loaded_by="pytest")
    build_snapshot(settings)
    # the customer's data lives elsewhere than the demo's folder: not demo assumptions
    with open_snapshot(settings) as con:
        gaps = {g.line_id: g for g in line_gaps(con, load_registry(settings.sql_dir, strict=False))}
        assert demo_assumption_keys(con, settings.demo_dir) == []
    assert set(gaps) == {"build_amortisation", "errors_avoided", "time_saved"}
    assert gaps["errors_avoided"].missing_assumptions == ("baseline_error_rate", "cost_per_error")
    [text] = describe_gaps([gaps["time_saved"]], "assumptions.csv")
    assert text.startswith("Analyst time saved (time_saved): no figures: the register has no ")
    assert "baseline_handle_minutes, loaded_hourly_cost" in text
    assert "`outcomes assumptions set baseline_handle_minutes VALUE --unit UNIT" in text
    assert text.endswith("(or a row in assumptions.csv), then `outcomes build`")


def test_roi_summary_says_the_demo_figures_rest_on_demo_assumptions(demo_env, capsys):
    from outcomes.cli import main

    assert main(["roi", "summary", "2026-10"]) == 0
    out = capsys.readouterr().out
    assert "note: built on the demo's assumptions (" in out and "no figures:" not in out
