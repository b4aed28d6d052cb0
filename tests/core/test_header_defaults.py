"""Header fields a metric file need not write: the tests implied by every metric (not_null(value)),
by a ratio (range(value, 0, 1)) and by its dimensions (its grain test), and its folder's
defaults (sql/metrics/defaults.yml)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from outcomes.build.failing_rows import failing_rows_query
from outcomes.core.header_defaults import DEFAULTS_FILE, HeaderDefaults, parse_file_header
from outcomes.core.headers import parse_header
from outcomes.core.registry import RegistryError, load_registry
from tests.conftest import ROOT

METRIC = """/* ---
name: m
title: M
description: d
grain: g
kind: model
unit: count
direction: neutral
dimensions: [system, Segment]
{tests}--- */
select 1
"""


def header_tests(tests: str, schema: str = "metrics", text: str = METRIC) -> list[str]:
    return [t.text for t in parse_header(text.format(tests=tests), schema).header.tests]


def test_a_metric_without_a_unique_test_gets_its_grain_test_after_the_not_null_ones():
    tests = "tests:\n  - not_null(value)\n  - not_null(system)\n  - range(value, 0, 1)\n"
    assert header_tests(tests) == [
        "not_null(value)",
        "not_null(system)",
        "unique(week_start, system, segment)",
        "range(value, 0, 1)",
    ]
    no_dims = METRIC.replace("dimensions: [system, Segment]\n", "")
    assert header_tests("tests: [not_null(value)]\n", text=no_dims) == [
        "not_null(value)",
        "unique(week_start)",
    ]


def test_a_metric_that_lists_no_not_null_test_gets_not_null_value_first():
    assert header_tests("") == ["not_null(value)", "unique(week_start, system, segment)"]
    assert header_tests("tests:\n  - range(value, 0, 1)\n") == [
        "not_null(value)",
        "unique(week_start, system, segment)",
        "range(value, 0, 1)",
    ]


def test_a_ratio_metric_that_lists_no_range_of_its_value_gets_range_0_1_last():
    ratio = METRIC.replace("unit: count", "unit: ratio")
    assert header_tests("", text=ratio) == [
        "not_null(value)",
        "unique(week_start, system, segment)",
        "range(value, 0, 1)",
    ]
    assert header_tests("tests:\n  - range(value, 0, null)\n", text=ratio)[-1] == (
        "range(value, 0, null)"
    )
    assert header_tests("tests:\n  - range(n, 0, 5)\n", text=ratio)[-2:] == [
        "range(n, 0, 5)",
        "range(value, 0, 1)",
    ]
    assert "range(value, 0, 1)" not in header_tests("")  # unit count: no range implied


def test_a_not_null_test_the_header_lists_is_kept_as_written():
    assert header_tests("tests: [not_null(system)]\n") == [
        "not_null(system)",
        "unique(week_start, system, segment)",
    ]


def test_a_unique_test_the_header_lists_is_kept_as_written():
    tests = "tests:\n  - unique(week_start, system)\n"
    assert header_tests(tests) == ["not_null(value)", "unique(week_start, system)"]


def test_roi_lines_imply_their_own_tests_not_the_metrics():
    """A ledger line implies an amount in every row and one row per week and system (not the
    metric's not_null(value) nor a grain over its dimensions); a line that lists tests of those
    kinds keeps its own."""
    roi = METRIC.replace("kind: model\nunit: count\ndirection: neutral\n", "category: benefit\n")
    assert header_tests("", "roi", roi) == ["not_null(amount)", "unique(week_start, system)"]
    own = "tests:\n  - not_null(amount, value)\n  - unique(week_start)\n"
    assert header_tests(own, "roi", roi) == ["not_null(amount, value)", "unique(week_start)"]


def test_the_implied_test_finds_a_repeated_week_and_dimensions():
    _, implied = parse_header(METRIC.format(tests=""), "metrics").header.tests
    con = duckdb.connect()
    con.execute(
        "create table m as select * from (values "
        "(date '2026-03-02', 'a', 'x', 1.0), (date '2026-03-02', 'a', null, 2.0), "
        "(date '2026-03-02', null, null, 3.0), (date '2026-03-09', 'a', 'x', 4.0)"
        ") v(week_start, system, segment, value)"
    )
    assert con.execute(failing_rows_query("m", implied)).fetchall() == []
    con.execute("insert into m values (date '2026-03-02', null, null, 5.0)")
    assert con.execute(failing_rows_query("m", implied)).fetchall() == [
        (dt.date(2026, 3, 2), None, None, 2)
    ]


OWNERS = "owner:\n  model: ml@example.com\n  cost: fin@example.com\n"


def metrics_folder(tmp_path: Path, header: str, defaults: str = OWNERS) -> Path:
    folder = tmp_path / "sql" / "metrics"
    folder.mkdir(parents=True)
    (folder / DEFAULTS_FILE).write_text(defaults)
    text = METRIC.format(tests="").replace("grain: g\n", header)
    columns = "date '2026-03-02' as week_start, 'a' as system, 'x' as segment, 1.0 as value"
    (folder / "m.sql").write_text(text.replace("select 1", f"select {columns}"))
    return folder


@pytest.mark.parametrize(
    ("header", "owner"),
    [
        ("grain: g\n", "ml@example.com"),  # kind model: the folder's owner of model metrics
        ("grain: g\nowner: me@example.com\n", "me@example.com"),  # the header's own wins
    ],
)
def test_a_metric_gets_the_owner_of_its_kind_from_its_folder(tmp_path, header, owner):
    folder = metrics_folder(tmp_path, header)
    assert parse_file_header(folder / "m.sql", "metrics").header.owner == owner
    assert load_registry(folder.parent).get("m").header.owner == owner


def test_a_kind_the_defaults_do_not_name_keeps_no_owner(tmp_path):
    folder = metrics_folder(tmp_path, "grain: g\n", "owner:\n  cost: fin@example.com\n")
    assert parse_file_header(folder / "m.sql", "metrics").header.owner is None
    assert HeaderDefaults().apply({"kind": "model"}) == {"kind": "model"}


def test_a_broken_defaults_file_is_an_error_that_names_it(tmp_path):
    folder = metrics_folder(tmp_path, "grain: g\n", "owner:\n  modle: ml@example.com\n")
    with pytest.raises(RegistryError) as raised:
        load_registry(folder.parent)
    (problem,) = [e for e in raised.value.errors if e.path.name == DEFAULTS_FILE]
    assert problem.path == folder / DEFAULTS_FILE
    assert "owner.modle" in problem.message


def test_every_bundled_metric_has_an_owner_written_or_from_its_folder():
    registry = load_registry(ROOT / "sql")
    unowned = [d.name for d in registry.by_schema()["metrics"] if not d.header.owner]
    assert unowned == []
