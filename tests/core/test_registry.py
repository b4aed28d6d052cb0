"""outcomes.core.registry and outcomes.core.headers: every check names the file and, where it can, the line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from outcomes.core.definition import DefinitionProblem
from outcomes.core.header_tests import HeaderTestName
from outcomes.core.headers import Direction, Kind, MetricHeader, StagingHeader, Unit
from outcomes.core.registry import RegistryError, load_registry
from tests.buildfixtures import METRICS, metric, standard_sql, write_sql


def errors_of(root: Path) -> list[DefinitionProblem]:
    with pytest.raises(RegistryError) as info:
        load_registry(root)
    return info.value.errors


def only_error(root: Path) -> DefinitionProblem:
    errors = errors_of(root)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_valid_folder_loads_with_models_and_build_order(tmp_path):
    root = standard_sql(tmp_path / "sql")
    registry = load_registry(root)

    order = registry.order_names()
    assert set(order) == {
        "staging.events",
        "staging.labels",
        "metrics.event_count",
        "metrics.accuracy",
        "metrics.latency_mean",
        "metrics.weekly_total",
    }
    for before, after in [
        ("staging.events", "metrics.event_count"),
        ("staging.labels", "metrics.accuracy"),
        ("metrics.event_count", "metrics.weekly_total"),
    ]:
        assert order.index(before) < order.index(after)
    assert [d.qualified for d in registry.topological()] == order

    accuracy = registry.get("accuracy")
    assert isinstance(accuracy.header, MetricHeader)
    assert accuracy.header.unit is Unit.ratio and accuracy.header.kind is Kind.model
    assert accuracy.header.direction is Direction.higher_is_better
    assert accuracy.header.thresholds.warn == 0.9 and accuracy.header.thresholds.alert == 0.8
    assert accuracy.reads == frozenset(
        {"staging.events", "staging.labels"}
    )  # CTE 'joined' is not a read
    assert accuracy.columns == ("week_start", "numerator", "denominator", "value")
    assert accuracy.sha256 == hashlib.sha256(accuracy.path.read_bytes()).hexdigest()
    assert accuracy.body_sql.startswith("with joined as") and "/* ---" not in accuracy.body_sql
    assert accuracy.sql == accuracy.path.read_text()

    events = registry.get("staging.events")
    assert isinstance(events.header, StagingHeader)
    assert [(t.test, t.columns) for t in events.header.tests] == [
        (HeaderTestName.not_null, ("event_id",)),
        (HeaderTestName.unique, ("event_id",)),
    ]
    assert events.body_line == 10  # the header has 9 lines

    assert registry.dependents("events") == tuple(q for q in order if q.startswith("metrics."))
    assert registry.dependents("event_count") == ("metrics.weekly_total",)
    assert registry.upstream("weekly_total") == ("metrics.event_count", "staging.events")
    assert registry.raw_tables("weekly_total") == ("raw.ai_events",)
    assert registry.raw_tables("accuracy") == ("raw.ai_events", "raw.feedback")
    assert registry.get("latency_mean").extra_columns == ("n", "note")
    assert {k: len(v) for k, v in registry.by_schema().items()} == {
        "staging": 2,
        "metrics": 4,
        "roi": 0,
    }


def test_unknown_header_field_names_file_and_line(tmp_path, monkeypatch):
    root = write_sql(
        tmp_path / "sql",
        {"metrics/x": metric("x", "select 1 as week_start, 2 as value", ownr="me")},
    )
    monkeypatch.chdir(tmp_path)
    error = only_error(root)
    assert error.line == 9  # '/* ---' is line 1, the 8th field is on line 9
    assert "unknown header field 'ownr'" in error.message
    assert str(error).startswith("sql/metrics/x.sql:9: unknown header field 'ownr'")


# One broken metrics/x.sql each: (the header's name, the SQL, other header fields, the line the
# error names or None where the case does not pin it, words of the message); ids: the old tests
ONE_BROKEN_METRIC = [
    pytest.param(
        "x",
        "select 1 as week_start, 2 as value",
        {"unit": "hour"},
        7,
        ["'unit'", "'hour'", "'hours'"],
        id="bad_enum_names_allowed_values_and_line",
    ),
    pytest.param(
        "x",
        "select 1 as week_start, 2 as value",
        {"description": "broken: colon: here"},
        4,
        ["YAML syntax error"],
        id="yaml_syntax_error_has_line",
    ),
    pytest.param(
        "y",
        "select 1 as week_start, 2 as value",
        {},
        2,
        ["'y' differs from the file name 'x'"],
        id="name_must_equal_file_stem",
    ),
    pytest.param(
        "x",
        "select 1 as week_start, 2 as value;\nselect 3;",
        {},
        11,  # where the second statement starts
        ["exactly one SELECT", "found 2"],
        id="two_statements_are_refused",
    ),
    pytest.param(
        "x",
        "select\n  1 as week_start,\n  2 as value\nfrom",
        {},
        13,
        ["does not parse"],
        id="sql_that_does_not_parse_has_line",
    ),
    pytest.param(
        "x",
        "select 1 as week_start, 2 as amount",
        {},
        None,
        # says what the SELECT returns
        ["missing output column value", "week_start, amount"],
        id="missing_required_output_column",
    ),
    pytest.param(
        "x",
        "select 1 as week_start, 0.5 as value, 2 as denominator",
        {"unit": "ratio"},
        None,
        ["missing output column numerator", "unit ratio"],
        id="ratio_needs_numerator_and_denominator",
    ),
    pytest.param(
        "x",
        "select 1 as week_start, 2 as value",
        {"dimensions": "[segment]"},
        None,
        ["missing output column segment"],
        id="declared_dimension_must_be_returned",
    ),
]


@pytest.mark.parametrize(("name", "sql", "fields", "line", "words"), ONE_BROKEN_METRIC)
def test_one_broken_metric_is_one_error(tmp_path, name, sql, fields, line, words):
    root = write_sql(tmp_path / "sql", {"metrics/x": metric(name, sql, **fields)})
    error = only_error(root)
    for word in words:
        assert word in error.message
    if line is not None:
        assert error.line == line


def test_missing_header_and_missing_field(tmp_path):
    root = write_sql(
        tmp_path / "sql",
        {
            "metrics/a": "select 1 as week_start, 2 as value\n",
            "metrics/b": metric("b", "select 1 as week_start, 2 as value").replace(
                "grain: One row per week.\n", ""
            ),
        },
    )
    errors = {e.path.stem: e for e in errors_of(root)}
    assert "expected a YAML header" in errors["a"].message and errors["a"].line == 1
    assert "missing required header field 'grain'" in errors["b"].message


@pytest.mark.parametrize(
    ("sql", "word"),
    [
        ("insert into metrics.x select 1", "INSERT"),
        ("create table metrics.y as select 1 as week_start, 2 as value", "CREATE"),
        ("drop table raw.ai_events", "DROP"),
        ("delete from raw.ai_events", "DELETE"),
        ("update raw.ai_events set segment = 'x'", "UPDATE"),
        ("copy raw.ai_events to 'out.csv'", "COPY"),
        ("attach 'other.duckdb'", "ATTACH"),
        (
            "with gone as (delete from raw.ai_events returning *) select 1 as week_start, 2 as value from gone",
            "DELETE",
        ),
    ],
)
def test_ddl_and_dml_are_refused(tmp_path, sql, word):
    root = write_sql(tmp_path / "sql", {"metrics/x": metric("x", sql)})
    error = only_error(root)
    assert word in error.message and ("not allowed" in error.message or "expected" in error.message)
    assert error.line == 10


def test_star_is_refused_in_a_metric_but_fine_in_staging(tmp_path):
    root = write_sql(
        tmp_path / "sql",
        {
            "metrics/x": metric("x", "select * from staging.s"),
            "staging/s": "/* ---\nname: s\ndescription: d\ngrain: g\nkind: staging\n--- */\nselect * from raw.ai_events\n",
        },
    )
    error = only_error(root)
    assert error.path.stem == "x" and "found '*'" in error.message


def test_unknown_dependency_names_the_reference_and_line(tmp_path):
    root = standard_sql(
        tmp_path / "sql",
        {
            "metrics/x": metric(
                "x", "select week_start, count(*) as value\nfrom staging.event\ngroup by all"
            )
        },
    )
    error = only_error(root)
    assert error.path.stem == "x" and error.line == 11
    assert (
        "unknown dependency 'staging.event'" in error.message and "staging.events" in error.message
    )


def test_unknown_raw_table_and_unqualified_table(tmp_path):
    root = write_sql(
        tmp_path / "sql",
        {
            "metrics/a": metric("a", "select 1 as week_start, 2 as value from raw.ai_event"),
            "metrics/b": metric("b", "select 1 as week_start, 2 as value from events"),
        },
    )
    errors = {e.path.stem: e.message for e in errors_of(root)}
    assert "unknown raw table 'raw.ai_event'" in errors["a"]
    assert "unqualified table 'events'" in errors["b"]


def test_cycle_is_an_error_that_names_the_cycle(tmp_path):
    root = write_sql(
        tmp_path / "sql",
        {
            "metrics/a": metric("a", "select week_start, value from metrics.b"),
            "metrics/b": metric("b", "select week_start, value from metrics.c"),
            "metrics/c": metric("c", "select week_start, value from metrics.a"),
            "metrics/d": metric("d", "select 1 as week_start, 2 as value"),
        },
    )
    errors = errors_of(root)
    assert sorted(e.path.stem for e in errors) == ["a", "b", "c"]
    for e in errors:
        assert "dependency cycle metrics.a -> metrics.b -> metrics.c -> metrics.a" in e.message
        assert e.line == 10
    registry = load_registry(root, strict=False)
    assert registry.order_names() == ["metrics.d"]
    assert set(registry.broken) == {"metrics.a", "metrics.b", "metrics.c"}


def test_a_definition_reading_itself_is_a_cycle(tmp_path):
    root = write_sql(
        tmp_path / "sql", {"metrics/a": metric("a", "select week_start, value from metrics.a")}
    )
    assert "dependency cycle metrics.a -> metrics.a" in only_error(root).message


@pytest.mark.parametrize(
    ("tests", "expected"),
    [
        ("[not_null(valu)]", "names column 'valu'"),
        ("\n  - between(value, 0, 1)", "unknown test 'between'"),
        ("[not_null(value), range(value, 0, 1)]", "use a block list"),
        ("\n  - range(value, 0)", "wrong arguments"),
        ("\n  - accepted_values(value, 'a')", "wrong arguments"),
    ],
)
def test_header_tests_are_checked(tmp_path, tests, expected):
    root = write_sql(
        tmp_path / "sql",
        {"metrics/x": metric("x", "select 1 as week_start, 2 as value", tests=tests)},
    )
    errors = errors_of(root)
    assert expected in errors[0].message, [str(e) for e in errors]
    assert errors[0].line in (9, 10)


def test_thresholds_must_match_direction(tmp_path):
    root = write_sql(
        tmp_path / "sql",
        {
            "metrics/x": metric(
                "x",
                "select 1 as week_start, 2 as value",
                direction="higher_is_better",
                thresholds="{warn: 0.8, alert: 0.9}",
            )
        },
    )
    error = only_error(root)
    assert error.line == 9 and "alert (0.9) is above warn (0.8)" in error.message


def test_every_broken_file_is_reported_at_once(tmp_path):
    root = standard_sql(
        tmp_path / "sql",
        {
            "metrics/bad_one": metric("bad_one", "select 1 as week_start", kind="nope"),
            "metrics/bad_two": metric("bad_two", "select 1 as week_start, 2 as value; select 1"),
        },
    )
    errors = errors_of(root)
    assert sorted(e.path.stem for e in errors) == ["bad_one", "bad_two"]
    registry = load_registry(root, strict=False)
    assert len(registry.order_names()) == len(METRICS) + 2
    assert set(registry.broken) == {"metrics.bad_one", "metrics.bad_two"}
    assert "line 6" in registry.broken["metrics.bad_one"].message
    text = str(RegistryError(errors))
    assert text.count("\n") == 1 and "bad_one.sql:6:" in text


def test_roi_header_is_permissive_and_roi_folder_optional(tmp_path):
    roi = (
        "/* ---\nname: savings\ntitle: Savings\ndescription: d\ngrain: One row per week.\n"
        "category: benefit\nformula: hours * rate\ninputs: {rate: analyst_hourly_cost}\n--- */\n"
        "select week_start, 'all' as system, value * 50 as value, "
        "(value * 50)::decimal(38, 10) as amount from metrics.event_count\n"
    )
    root = standard_sql(tmp_path / "sql", {"roi/savings": roi})
    registry = load_registry(root)
    # a ledger line's implied tests need what the ledger reads: one amount per week and system
    assert [t.text for t in registry.get("savings").header.tests] == [
        "not_null(amount)",
        "unique(week_start, system)",
    ]
    savings = registry.get("savings")
    assert savings.kind == "roi" and savings.header.direction is Direction.higher_is_better
    assert savings.header.inputs == {"rate": "analyst_hourly_cost"}
    assert registry.order_names()[-1] == "roi.savings" or registry.order_names().index(
        "roi.savings"
    ) > registry.order_names().index("metrics.event_count")


def test_missing_sql_folder(tmp_path):
    with pytest.raises(RegistryError, match="SQL folder not found"):
        load_registry(tmp_path / "nope")


def test_a_macro_table_override_is_refused_by_validate_and_the_sandbox(tmp_path):
    from outcomes.store.sandbox_statement import SandboxRefusal, check_single_select

    (tmp_path / "staging").mkdir()
    (tmp_path / "metrics").mkdir()
    (tmp_path / "staging" / "weeks.sql").write_text(
        "/* ---\nname: weeks\ndescription: d\ngrain: One row per week.\nkind: staging\n--- */\n"
        "select date '2026-01-05' as week_start, false as is_partial\n"
    )
    (tmp_path / "metrics" / "sneaky.sql").write_text(
        "/* ---\nname: sneaky\ntitle: S\ndescription: d\ngrain: One row per week.\n"
        "kind: business\nunit: count\ndirection: higher_is_better\n--- */\n"
        "select week_start, 1.0 as value,\n"
        "    partial_flag(week_start, calendar := 'raw.loads') as flag\n"
        "from staging.weeks\n"
    )
    with pytest.raises(RegistryError) as info:
        load_registry(tmp_path)
    problems = [p for p in info.value.errors if "named argument" in p.message]
    assert len(problems) == 1 and problems[0].line == 11  # the line of the call
    with pytest.raises(SandboxRefusal, match="named argument"):
        check_single_select("select * from newest_versions('t', loads := 'raw.loads')")
    # a plain call is fine
    assert check_single_select("select partial_flag(week_start) from staging.weeks")
