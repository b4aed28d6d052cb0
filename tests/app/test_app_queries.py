"""The queries pages run (sql/app/*.sql): each named one exists, states its grain, and parses.

Names are found statically: every string literal that a call to ``queries.run``,
``queries.rows``, ``queries.query_text`` or ``show_sql`` receives, in the package and pages.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sqlglot

from outcomes.app.queries import APP_SQL_DIR, UnknownQuery, query_text
from outcomes.core.contracts import CONTRACTS

ROOT = Path(__file__).resolve().parents[2]
CALLS = {"run", "rows", "query_text", "show_sql"}


def named_queries() -> set[str]:
    names: set[str] = set()
    for path in [*(ROOT / "outcomes").rglob("*.py"), *(ROOT / "app_pages").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called in CALLS:
                    names |= {
                        a.value
                        for a in node.args
                        if isinstance(a, ast.Constant)
                        and isinstance(a.value, str)
                        and re.fullmatch(r"[a-z][a-z0-9_]+", a.value)
                    }
    return names


def test_every_named_query_has_its_file() -> None:
    names = named_queries()
    assert len(names) > 30  # the scan found the pages' queries
    missing = sorted(n for n in names if not (APP_SQL_DIR / f"{n}.sql").is_file())
    assert missing == []


def test_every_query_file_states_its_grain_and_parses() -> None:
    files = sorted(APP_SQL_DIR.glob("*.sql"))
    assert files
    for path in files:
        text = path.read_text()
        assert text.startswith("-- "), f"{path.name}: start with a '-- ' comment stating the grain"
        sqlglot.parse_one(text.replace("$", ":"), read="duckdb")


def test_an_unknown_query_names_the_file_it_expected() -> None:
    try:
        query_text("no_such_query")
    except UnknownQuery as exc:
        assert "no_such_query.sql" in str(exc)
    else:
        raise AssertionError("an unknown query was read")


def test_the_data_page_freshness_covers_every_contract_table() -> None:
    text = query_text("data_source_freshness")
    read = set(re.findall(r"\bfrom raw\.(\w+)", text))
    assert read == set(CONTRACTS)
