"""The workbench: template, validation with the rules of `outcomes validate` (errors at the
draft's lines), preview in the sandbox, SQL and value diffs, save (file, audit, rebuild)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from outcomes.app.views import draft_save, draft_validation, workbench
from outcomes.config import Role, Settings
from outcomes.core.authz import Identity, NotAllowed
from outcomes.store.parts import copy_snapshot
from outcomes.store.sandbox_statement import SandboxRefusal
from outcomes.store.snapshot import open_file
from outcomes.store.state import StateStore
from tests.conftest import BUILD_AS_OF, ROOT


@pytest.fixture
def sql_copy(tmp_path: Path) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", target)
    return target


@pytest.fixture
def edit_settings(demo_root: Path, tmp_path: Path, sql_copy: Path) -> Settings:
    """Own SQL folder, snapshot and state store; the session's raw store (read only)."""
    copy_snapshot(demo_root / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    return Settings(
        warehouse_path=tmp_path / "warehouse.duckdb",
        raw_path=demo_root / "raw.duckdb",
        state_path=tmp_path / "state.sqlite",
        demo_dir=demo_root / "demo",
        sql_dir=sql_copy,
        build_as_of=BUILD_AS_OF,
    )


ANA = Identity("ana", Role.analyst)


def lines_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_template_validates_and_names_the_metric(sql_copy):
    text = workbench.template("resolution_rate")
    result = draft_validation.validate_draft(text, "resolution_rate", Settings(sql_dir=sql_copy))
    assert result.ok, result.errors
    assert result.definition is not None and result.definition.name == "resolution_rate"
    assert not (sql_copy / "metrics" / "resolution_rate.sql").exists()  # sql/ untouched


def test_a_missing_column_is_reported_at_the_select_line(sql_copy):
    text = workbench.template("x_metric").replace(
        "c.events::double as value,", "c.events::double as v,"
    )
    result = draft_validation.validate_draft(text, "x_metric", Settings(sql_dir=sql_copy))
    assert not result.ok
    error = next(e for e in result.errors if "missing output column value" in e.message)
    final_select = max(i for i, line in enumerate(text.splitlines(), 1) if line == "select")
    # the registry points at the statement that lacks the column: its WITH (the outer
    # SELECT's first line) today, the final SELECT itself would be better
    assert error.line in (lines_of(text, "with events as"), final_select)
    assert error.file is None


def test_an_unknown_dependency_is_reported_at_its_line(sql_copy):
    text = workbench.template("x_metric").replace("staging.ai_events", "staging.ai_eventz")
    result = draft_validation.validate_draft(text, "x_metric", Settings(sql_dir=sql_copy))
    messages = {e.line: e.message for e in result.errors}
    line = lines_of(text, "staging.ai_eventz")
    assert line in messages and "unknown dependency 'staging.ai_eventz'" in messages[line]
    assert result.errors_on_line()[line]


def test_a_header_typo_is_reported_at_its_line(sql_copy):
    text = workbench.template("x_metric").replace("owner:", "ownr:")
    result = draft_validation.validate_draft(text, "x_metric", Settings(sql_dir=sql_copy))
    assert [e.line for e in result.errors] == [lines_of(text, "ownr:")]
    assert "unknown header field 'ownr'" in result.errors[0].message


def test_two_statements_are_refused_like_validate(sql_copy):
    text = workbench.template("x_metric") + ";\nselect 1\n"
    result = draft_validation.validate_draft(text, "x_metric", Settings(sql_dir=sql_copy))
    assert not result.ok and "exactly one SELECT" in result.errors[0].message


def test_a_cycle_created_by_the_draft_is_reported(sql_copy):
    path = sql_copy / "metrics" / "hours_saved.sql"
    text = path.read_text().replace(
        "from staging.work_items",
        "from staging.work_items cross join (select 1 from metrics.cost_per_hour_saved) as z",
        1,
    )
    assert text != path.read_text()
    result = draft_validation.validate_draft(text, "hours_saved", Settings(sql_dir=sql_copy))
    assert not result.ok
    assert any("cycle" in e.message or "->" in e.message for e in result.errors), result.errors
    assert path.read_text() != text  # the real file is untouched


def test_an_invalid_name_is_refused(sql_copy):
    result = draft_validation.validate_draft(
        workbench.template("x"), "Bad Name", Settings(sql_dir=sql_copy)
    )
    assert not result.ok and "lowercase identifier" in result.errors[0].message


def test_preview_runs_the_draft_and_takes_the_weekly_totals(demo_settings):
    text = (ROOT / "sql" / "metrics" / "event_volume.sql").read_text()
    preview = workbench.preview_draft(text, demo_settings, who=ANA)
    frame = preview.result.frame
    assert {"week_start", "action_tier", "value"} <= set(frame.columns)
    totals = frame[frame["action_tier"].isna()]
    if "system" in frame.columns:  # per AI system (issue 15): the company total has no system
        totals = totals[totals["system"].isna()]
    assert len(preview.series) == len(totals) > 50
    assert preview.series["value"].sum() == pytest.approx(totals["value"].sum())
    assert preview.note == ""


def test_preview_refuses_what_the_sandbox_refuses(demo_settings):
    text = workbench.template("x") + "; drop table metrics.accuracy"
    with pytest.raises(SandboxRefusal) as info:
        workbench.preview_draft(text, demo_settings, who=ANA)
    assert info.value.kind == "statements"
    with pytest.raises(NotAllowed, match="preview SQL"):
        workbench.preview_draft(text, demo_settings, who=Identity("otto", Role.operator))


def test_compare_gives_the_sql_diff_and_the_value_diff_per_week(demo_settings):
    saved = (ROOT / "sql" / "metrics" / "event_volume.sql").read_text()
    draft = saved.replace("c.events::double as value", "c.events::double * 2 as value")
    diff = workbench.sql_diff(saved, draft, "event_volume")
    assert (
        "-    c.events::double as value," in diff and "+    c.events::double * 2 as value," in diff
    )
    preview = workbench.preview_draft(draft, demo_settings, who=ANA)
    con = open_file(demo_settings.warehouse_path)
    try:
        current = con.execute(
            "select week_start, value from main.metric_values "
            "where metric = 'event_volume' and dimensions = '{}' order by week_start"
        ).df()
    finally:
        con.close()
    values = workbench.value_diff(current, preview.series)
    assert len(values) == len(current)
    assert (values["draft"] == 2 * values["current"]).all()
    assert values["changed"].all() and (values["change_pct"] == 1.0).all()
    same = workbench.value_diff(current, current)
    assert not same["changed"].any()


def test_saving_is_refused_without_the_role(edit_settings):
    text = workbench.template("new_one")
    otto = Identity("otto", Role.operator)
    with pytest.raises(draft_save.SaveRefused, match="may not save metric SQL"):
        draft_save.save_draft(text, "new_one", edit_settings, who=otto)
    with pytest.raises(draft_save.SaveRefused, match="Sign in first"):
        draft_save.save_draft(text, "new_one", edit_settings, who=None)
    with pytest.raises(draft_save.SaveRefused, match="Sign in first"):
        draft_save.save_draft(text, "new_one", edit_settings, who=Identity(" ", Role.analyst))
    bad = text.replace("c.events::double as value,", "c.events::double as v,")
    with pytest.raises(draft_save.SaveRefused, match="does not validate"):
        draft_save.save_draft(bad, "new_one", edit_settings, who=ANA)
    assert not (edit_settings.sql_dir / "metrics" / "new_one.sql").exists()
    assert StateStore(edit_settings.state_path).audit_log(entity="metric") == []


def test_save_writes_the_file_logs_the_diff_and_rebuilds(edit_settings):
    path = edit_settings.sql_dir / "metrics" / "event_volume.sql"
    saved = path.read_text()
    draft = saved.replace("c.events::double as value", "c.events::double * 2 as value")
    before = _total(edit_settings, "event_volume")
    result = draft_save.save_draft(draft, "event_volume", edit_settings, who=ANA)
    assert path.read_text() == draft and not result.created
    (entry,) = StateStore(edit_settings.state_path).audit_log(
        entity="metric", entity_key="event_volume"
    )
    assert entry.actor == "ana" and entry.action == "edit_sql" and entry.id == result.audit_id
    assert "+    c.events::double * 2 as value," in entry.detail["diff"]
    assert result.build is not None and result.build.ok, result.build_error
    assert result.build.object("event_volume").status == "ok"
    after = _total(edit_settings, "event_volume")
    assert after == pytest.approx(2 * before)
    # the rebuild is a full one: every other metric is still in the snapshot
    con = open_file(edit_settings.warehouse_path)
    try:
        metrics = con.execute("select count(distinct metric) from main.metric_values").fetchall()
    finally:
        con.close()
    assert metrics[0][0] > 30


def _total(settings: Settings, metric: str) -> float:
    con = open_file(settings.warehouse_path)
    try:
        return con.execute(
            "select sum(value) from main.metric_values where metric = ? and dimensions = '{}'",
            [metric],
        ).fetchall()[0][0]
    finally:
        con.close()


def test_weekly_series_needs_week_start_and_value():
    series, note = workbench.weekly_series(pd.DataFrame({"x": [1]}), ())
    assert series.empty and "week_start or value" in note


def test_validate_binds_the_draft_against_the_snapshot(edit_settings):
    # a misspelled column passes the header and SELECT checks: the binder catches it
    text = workbench.template("new_one").replace("        event_id\n", "        event_idd\n")
    result = draft_validation.validate_draft(text, "new_one", edit_settings)
    assert not result.ok
    [error] = result.errors
    assert error.line == lines_of(text, "event_idd")
    assert "event_idd" in error.message and "Binder Error" in error.message
    good = draft_validation.validate_draft(workbench.template("new_one"), "new_one", edit_settings)
    assert good.ok and good.bound
    # save requires a passing validate: the same draft is refused, nothing written
    with pytest.raises(draft_save.SaveRefused, match="does not validate.*event_idd"):
        draft_save.save_draft(text, "new_one", edit_settings, who=ANA)
    assert not (edit_settings.sql_dir / "metrics" / "new_one.sql").exists()


def test_delete_a_metric_keeps_its_history(edit_settings):
    from outcomes.app.views import draft_delete

    path = edit_settings.sql_dir / "metrics" / "handle_minutes_median.sql"
    text = path.read_text()
    otto = Identity("otto", Role.operator)
    with pytest.raises(draft_save.SaveRefused, match="may not save metric SQL"):
        draft_delete.delete_metric("handle_minutes_median", edit_settings, who=otto, why="unused")
    with pytest.raises(draft_save.SaveRefused, match="roi.errors_avoided read metrics.error_rate"):
        draft_delete.delete_metric("error_rate", edit_settings, who=ANA, why="x", rebuild=False)
    result = draft_delete.delete_metric(
        "handle_minutes_median", edit_settings, who=ANA, why="the mean says it", rebuild=False
    )
    assert not path.exists()
    (entry,) = StateStore(edit_settings.state_path).audit_log(
        entity="metric", entity_key="handle_minutes_median"
    )
    assert (entry.action, entry.actor, entry.id) == ("delete_sql", "ana", result.audit_id)
    assert entry.detail["text"] == text and entry.detail["why"] == "the mean says it"


def test_a_metric_of_a_family_file_is_shown_and_previewed_but_changed_in_its_file(
    edit_settings, monkeypatch
):
    # latency_p95 is made by the blueprints of sql/metrics/latency.sql (outcomes.core.blueprints)
    from outcomes.app.views import draft_delete, metric_history

    family = edit_settings.sql_dir / "metrics" / "latency.sql"
    assert workbench.family_file(edit_settings, "latency_p95") == family
    assert workbench.family_file(edit_settings, "accuracy") is None  # a file of its own
    text = workbench.current_text(edit_settings, "latency_p95")
    assert text is not None and "@{" not in text
    assert "name: latency_p95" in text and "weekly_quantile('events', 0.95)" in text
    preview = workbench.try_preview(text, edit_settings, ANA)
    assert preview[1] is None and preview[0] is not None
    assert len(preview[0].series) > 0  # the rendered text runs as it is
    before = family.read_text()
    edited = text.replace("0.95)", "0.9)")
    check = draft_validation.validate_draft(edited, "latency_p95", edit_settings)
    assert not check.ok and "blueprints of sql/metrics/latency.sql" in check.errors[0].message
    with pytest.raises(draft_save.SaveRefused, match="change it in that file"):
        draft_save.save_draft(edited, "latency_p95", edit_settings, who=ANA, rebuild=False)
    with pytest.raises(draft_save.SaveRefused, match="change it in that file"):
        draft_delete.delete_metric("latency_p95", edit_settings, who=ANA, why="x", rebuild=False)
    # the family file itself, by its own name, is not a one-metric file either
    assert workbench.family_refusal(edit_settings, "latency") is not None
    assert not draft_validation.validate_draft(
        workbench.template("latency"), "latency", edit_settings
    ).ok
    with pytest.raises(draft_save.SaveRefused, match="is a family file"):
        draft_delete.delete_metric("latency", edit_settings, who=ANA, why="x", rebuild=False)
    # nor is a new draft that lists blueprints
    family_draft = before.replace("name: latency_p@{pct}", "name: lag_p@{pct}")
    check = draft_validation.validate_draft(family_draft, "lag", edit_settings)
    assert not check.ok and "one-metric files" in check.errors[0].message
    assert family.read_text() == before
    assert not (edit_settings.sql_dir / "metrics" / "latency_p95.sql").exists()
    # its history is its family file's
    asked: list[Path] = []
    monkeypatch.setattr(metric_history, "git_history", lambda path: asked.append(path) or [])
    assert metric_history.history(edit_settings, "latency_p95").empty
    assert asked == [family]


def test_the_workbench_opens_first_a_metric_it_can_save(edit_settings):
    names = ["acceptance_rate", "accuracy", "latency_p50"]  # the first is a family's
    assert workbench.first_editable(edit_settings, names) == "accuracy"
    assert workbench.first_editable(edit_settings, ["latency_p50"]) == "latency_p50"
    assert workbench.first_editable(edit_settings, []) is None
