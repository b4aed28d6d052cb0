"""Metric families (outcomes.core.blueprints): one file whose blueprints make several metrics,
each the same as the file a person would have written for it, errors at the file's lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes.core.headers import MetricHeader
from outcomes.core.registry import RegistryError, load_registry
from tests.buildfixtures import standard_sql, write_sql
from tests.conftest import ROOT

FAMILY = """
    /* ---
    name: latency_p@{pct}
    title: Latency p@{pct}
    description: The @{pct}th percentile of latency per week.
    grain: One row per week.
    kind: model
    unit: ms
    direction: lower_is_better
    thresholds: {warn: @{warn}, alert: @{alert}}
    blueprints:
      - {pct: 50, q: '0.50', warn: 200, alert: 300}
      - {pct: 90, q: '0.90', warn: 400, alert: 600}
    --- */
    select
        week_start,
        quantile_cont(latency_ms, @{q}) as value
    from staging.events
    group by all
    """


def one_file(pct: int, q: str, warn: int, alert: int) -> str:
    """The file a person would write for one member of FAMILY."""
    return f"""
    /* ---
    name: latency_p{pct}
    title: Latency p{pct}
    description: The {pct}th percentile of latency per week.
    grain: One row per week.
    kind: model
    unit: ms
    direction: lower_is_better
    thresholds: {{warn: {warn}, alert: {alert}}}
    --- */
    select
        week_start,
        quantile_cont(latency_ms, {q}) as value
    from staging.events
    group by all
    """


def test_a_family_file_makes_the_metrics_a_person_would_write_one_by_one(tmp_path):
    family = load_registry(standard_sql(tmp_path / "a", {"metrics/latency": FAMILY}))
    plain = load_registry(
        standard_sql(
            tmp_path / "b",
            {
                "metrics/latency_p50": one_file(50, "0.50", 200, 300),
                "metrics/latency_p90": one_file(90, "0.90", 400, 600),
            },
        )
    )
    assert family.order_names() == plain.order_names()
    for name in ("latency_p50", "latency_p90"):
        made, written = family.get(name), plain.get(name)
        assert made.header == written.header and isinstance(made.header, MetricHeader)
        assert made.body_sql == written.body_sql and made.columns == written.columns
        assert made.reads == written.reads == frozenset({"staging.events"})
        assert made.path.name == "latency.sql" and made.name == name
        assert "@{" not in made.sql and f"name: {name}" in made.sql
    p50, p90 = family.get("latency_p50"), family.get("latency_p90")
    assert "quantile_cont(latency_ms, 0.90)" in p90.body_sql
    assert p90.header.thresholds.warn == 400 and p50.header.title == "Latency p50"
    assert p50.sha256 != p90.sha256  # each member's own text: a change of the family changes both
    # a member's lines are the family file's (a value replaces its placeholder inside a line)
    assert (
        p90.body_line == p50.body_line == FAMILY.lstrip("\n").splitlines().index("    --- */") + 2
    )


def errors_in(root: Path) -> list[str]:
    with pytest.raises(RegistryError) as info:
        load_registry(root)
    return [str(e) for e in info.value.errors]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        # a placeholder no blueprint fills: at the line it stands on
        (("@{q})", "@{qq})"), ["latency.sql:16:", "blueprint 1 has no value for @{qq}"]),
        # a value no placeholder uses
        (
            ("warn: 200, alert: 300}", "warn: 200, alert: 300, colour: red}"),
            ["colour is used by no"],
        ),
        # two blueprints that make the same name
        (("{pct: 90, q: '0.90'", "{pct: 50, q: '0.90'"), ["name the same metric twice"]),
        (("{pct: 50, q: '0.50', warn: 200, alert: 300}", "just a text"), ["blueprint 1: expected"]),
        (("warn: 200, alert", 'warn: "a\\nb", alert'), ["warn must be one line"]),
        # an SQL error in the family's body: at the family file's line
        (("from staging.events", "from staging.nope"), ["latency.sql:17:", "staging.nope"]),
    ],
    ids=["unfilled", "unused", "same-name", "not-a-mapping", "multi-line", "sql-error-line"],
)
def test_a_broken_family_is_reported_at_its_file_and_line(tmp_path, change, words):
    old, new = change
    assert old in FAMILY
    errors = errors_in(
        standard_sql(tmp_path / "sql", {"metrics/latency": FAMILY.replace(old, new)})
    )
    assert any(all(w in e for w in words) for e in errors), errors


def test_a_member_named_like_another_file_is_a_second_definition(tmp_path):
    root = standard_sql(
        tmp_path / "sql",
        {"metrics/latency": FAMILY, "metrics/latency_p90": one_file(90, "0.9", 400, 600)},
    )
    assert any("a second metrics definition named 'latency_p90'" in e for e in errors_in(root))


def test_blueprints_are_for_metric_files_only(tmp_path):
    staging = """
        /* ---
        name: events_@{n}
        description: d
        grain: One row per event.
        kind: staging
        blueprints: [{n: a}]
        --- */
        select * from raw.ai_events
        """
    root = write_sql(tmp_path / "sql", {"staging/events": staging})
    assert any("blueprints are for metric files only" in e for e in errors_in(root))


def test_the_product_families_make_the_latency_and_feedback_metrics():
    registry = load_registry(ROOT / "sql")
    expected = {
        "latency_p50": (
            "latency.sql",
            "Latency p50",
            2000,
            3000,
            "weekly_quantile('events', 0.50)",
        ),
        "latency_p95": (
            "latency.sql",
            "Latency p95",
            4000,
            6000,
            "weekly_quantile('events', 0.95)",
        ),
        "latency_p99": (
            "latency.sql",
            "Latency p99",
            6000,
            9000,
            "weekly_quantile('events', 0.99)",
        ),
        "acceptance_rate": ("feedback_rates.sql", "Acceptance rate", 0.7, 0.6, "f.accepted as hit"),
        "override_rate": ("feedback_rates.sql", "Override rate", 0.2, 0.3, "f.overridden as hit"),
    }
    for name, (file, title, warn, alert, sql) in expected.items():
        d = registry.get(name)
        assert isinstance(d.header, MetricHeader) and d.header.thresholds is not None
        assert (d.path.name, d.header.title) == (file, title)
        assert (d.header.thresholds.warn, d.header.thresholds.alert) == (warn, alert)
        assert sql in d.body_sql
    assert registry.get("acceptance_rate").header.direction.value == "higher_is_better"
    assert registry.get("override_rate").header.direction.value == "lower_is_better"


def test_show_working_and_the_audit_pack_hash_a_members_text_not_the_family_file(tmp_path):
    # an older snapshot's trace reads the file build_objects names and checks the recorded hash
    import duckdb

    from outcomes.core.blueprints import definition_bytes
    from outcomes.roi.trace_sql import sql_for

    p95 = load_registry(ROOT / "sql").get("latency_p95")
    family = ROOT / "sql" / "metrics" / "latency.sql"
    assert definition_bytes(family, "latency_p95") == p95.sql.encode()
    assert definition_bytes(family, "latency") == family.read_bytes()  # not a member: the file
    con = duckdb.connect()
    con.execute(
        "create table main.build_objects (name varchar, kind varchar, path varchar, sql_sha256 varchar)"
    )
    con.execute(
        "insert into main.build_objects values ('latency_p95', 'metric', ?, ?), "
        "('latency_p99', 'metric', ?, 'a-hash-of-other-text')",
        [str(family), p95.sha256, str(family)],
    )
    shown = sql_for(con, "metrics.latency_p95")
    assert shown.note is None and shown.text == p95.sql and shown.sha256 == p95.sha256
    changed = sql_for(con, "metrics.latency_p99")
    assert changed.note is not None and "has changed since this snapshot was built" in changed.note


def test_a_blueprint_value_cannot_smuggle_a_file_read_past_the_checks(tmp_path):
    # values are checked where they land: each member's rendered SQL meets every rule of a file
    hostile = FAMILY.replace(
        "  - {pct: 90, q: '0.90'",
        "  - {pct: 90, q: \"(select length(content) from read_text('/etc/passwd'))\"",
    )
    errors = errors_in(standard_sql(tmp_path / "sql", {"metrics/latency": hostile}))
    assert any("latency.sql:16:" in e and "read_text reads a file or URL" in e for e in errors), (
        errors
    )
    assert not any("latency_p50" in e for e in errors)  # the other member is fine


def test_a_value_stays_as_written_and_may_not_hold_a_placeholder(tmp_path):
    unquoted = FAMILY.replace("q: '0.50'", "q: 0.50")  # YAML would read 0.5; the SQL says 0.50
    p50 = load_registry(standard_sql(tmp_path / "a", {"metrics/latency": unquoted})).get(
        "latency_p50"
    )
    assert "quantile_cont(latency_ms, 0.50)" in p50.body_sql
    smuggled = FAMILY.replace("q: '0.50'", "q: '@{pct}'")
    errors = errors_in(standard_sql(tmp_path / "b", {"metrics/latency": smuggled}))
    assert any("latency.sql:11:" in e and "cannot hold a placeholder" in e for e in errors), errors


def test_a_members_text_is_a_metric_file_of_its_own(tmp_path):
    # what the workbench shows and downloads and the audit pack ships: it loads as one file
    made = load_registry(standard_sql(tmp_path / "a", {"metrics/latency": FAMILY})).get(
        "latency_p90"
    )
    assert "blueprints:" not in made.sql and "# blueprint 2 of 2: pct: 90" in made.sql
    alone = load_registry(standard_sql(tmp_path / "b", {"metrics/latency_p90": made.sql}))
    again = alone.get("latency_p90")
    assert (again.header, again.body_sql, again.sha256) == (made.header, made.body_sql, made.sha256)


def test_a_broken_family_reports_each_of_its_metrics_failed(tmp_path):
    broken = FAMILY.replace("warn: 200, alert: 300}", "warn: 200, alert: 300, colour: red}")
    registry = load_registry(
        standard_sql(tmp_path / "sql", {"metrics/latency": broken}), strict=False
    )
    assert {"metrics.latency_p50", "metrics.latency_p90"} <= set(registry.broken)
    assert "metrics.latency" not in registry.broken
    assert "colour is used by no" in registry.broken["metrics.latency_p90"].errors[0].message
