"""Build-time SQL (issue 12): definitions under ``sql/`` run under the sandbox's allow-list.

``outcomes validate`` (the registry's per-file checks) names the refused function and its line;
the build fails that object, named, and runs its definitions with external access disabled.
One test per refused class: file read, glob, COPY / EXPORT, ATTACH, INSTALL / LOAD, dynamic SQL,
server metadata and settings.
"""

from __future__ import annotations

import pytest

from outcomes.build.full import build_snapshot
from outcomes.core.registry import load_registry
from outcomes.store.snapshot import open_file
from tests.buildfixtures import make_raw_store, metric, settings_for, standard_sql, write_sql

SELECT = "select week_start, count(*) as value\nfrom staging.events\ngroup by 1\n"


def problems_of(tmp_path, body: str) -> list[tuple[int | None, str]]:
    """The problems validate reports for metrics/evil.sql whose SQL is ``body``."""
    root = standard_sql(tmp_path / "sql", {"metrics/evil": metric("evil", body)})
    registry = load_registry(root, strict=False)
    return [(p.line, p.message) for p in registry.errors if p.path.stem == "evil"]


def only_problem(tmp_path, body: str) -> tuple[int | None, str]:
    problems = problems_of(tmp_path, body)
    assert problems, "the definition was accepted"
    return problems[0]


HEADER_LINES = 9  # the header metric() writes: /* ---, 7 keys, --- */


def test_a_file_read_in_a_definition_is_named_with_its_line(tmp_path):
    body = "select week_start, count(*) as value\nfrom staging.events, read_csv('/etc/passwd')\ngroup by 1"
    line, message = only_problem(tmp_path, body)
    assert line == HEADER_LINES + 2
    assert message.startswith("read_csv reads a file or URL")


def test_a_quoted_path_as_a_table_is_a_file_read(tmp_path):
    body = "select 1 as week_start, count(*) as value from '/etc/passwd'"
    messages = [m for _, m in problems_of(tmp_path, body)]
    assert any(m.startswith("FROM '/etc/passwd' reads a file") for m in messages), messages


def test_glob_is_refused(tmp_path):
    line, message = only_problem(
        tmp_path,
        "select week_start, count(*) as value\nfrom staging.events\nwhere exists (select * from glob('/home/*'))\ngroup by 1",
    )
    assert line == HEADER_LINES + 3 and message.startswith("glob reads a file or URL")


@pytest.mark.parametrize(
    "body",
    [
        "copy (select 1) to '/tmp/stolen.csv'",
        "export database '/tmp/stolen'",
    ],
)
def test_copy_and_export_are_refused(tmp_path, body):
    _, message = only_problem(tmp_path, body)
    assert "not allowed" in message or "expected" in message


def test_attach_is_refused(tmp_path):
    _, message = only_problem(tmp_path, "attach '/tmp/other.duckdb' as other")
    assert "ATTACH" in message.upper()


@pytest.mark.parametrize("body", ["install httpfs", "load httpfs"])
def test_install_and_load_are_refused(tmp_path, body):
    _, message = only_problem(tmp_path, body)
    assert "not allowed" in message or "expected" in message


@pytest.mark.parametrize("call", ["query('select 1')", "query_table('raw.ai_events')"])
def test_dynamic_sql_is_refused(tmp_path, call):
    name = call.split("(")[0]
    body = f"select week_start, count(*) as value\nfrom staging.events, {call}\ngroup by 1"
    line, message = only_problem(tmp_path, body)
    assert line == HEADER_LINES + 2
    assert message.startswith(f"{name}() runs SQL from a string")


@pytest.mark.parametrize(
    "expression",
    ["current_setting('secret_directory')", "getenv('HOME')"],
)
def test_settings_and_server_metadata_are_refused(tmp_path, expression):
    body = f"select week_start, {expression} as s, count(*) as value\nfrom staging.events\ngroup by 1, 2"
    _, message = only_problem(tmp_path, body)
    assert "server's settings, files or paths" in message


@pytest.mark.parametrize(
    "table", ["duckdb_settings()", "pragma_database_list", "duckdb_databases()"]
)
def test_metadata_tables_are_refused(tmp_path, table):
    body = f"select current_date as week_start, count(*) as value from {table}"
    messages = [m for _, m in problems_of(tmp_path, body)]
    assert any("server's settings, files or paths" in m for m in messages), messages


def test_macros_that_use_query_table_inside_stay_allowed(tmp_path):
    # the demo's own definitions call macros whose bodies use query_table: validate accepts them
    from outcomes.config import Settings

    registry = load_registry(Settings().sql_dir, strict=False)
    assert not registry.errors, [str(e) for e in registry.errors]


def test_the_build_fails_the_refused_object_by_name_and_builds_the_rest(tmp_path):
    make_raw_store(tmp_path / "store.duckdb")
    root = standard_sql(tmp_path / "sql")
    write_sql(
        root,
        {
            "metrics/evil": metric(
                "evil",
                "select current_date as week_start, count(*) as value from read_text('/etc/passwd')",
            )
        },
    )
    result = build_snapshot(settings_for(tmp_path, root))
    status = {o.name: (o.status, o.error) for o in result.objects}
    evil = next(v for k, v in status.items() if k.endswith("evil"))
    assert evil[0] == "failed" and "read_text reads a file or URL" in (evil[1] or "")
    assert all(s == "ok" for k, (s, _) in status.items() if not k.endswith("evil"))
    con = open_file(result.path)
    try:
        assert not con.execute(
            "select count(*) from information_schema.tables where table_name = 'evil'"
        ).fetchone()[0]
    finally:
        con.close()
