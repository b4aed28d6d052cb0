"""Header fields a metric file need not write: the grain test implied by its dimensions."""

from __future__ import annotations

import datetime as dt

import duckdb

from outcomes.build.failing_rows import failing_rows_query
from outcomes.core.headers import parse_header

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
    assert header_tests("") == ["unique(week_start, system, segment)"]
    no_dims = METRIC.replace("dimensions: [system, Segment]\n", "")
    assert header_tests("", text=no_dims) == ["unique(week_start)"]


def test_a_unique_test_the_header_lists_is_kept_as_written():
    tests = "tests:\n  - unique(week_start, system)\n"
    assert header_tests(tests) == ["unique(week_start, system)"]


def test_roi_lines_imply_no_unique_test():
    roi = METRIC.replace("kind: model\nunit: count\ndirection: neutral\n", "category: benefit\n")
    assert header_tests("", "roi", roi) == []


def test_the_implied_test_finds_a_repeated_week_and_dimensions():
    (implied,) = parse_header(METRIC.format(tests=""), "metrics").header.tests
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
