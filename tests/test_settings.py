"""Settings: sources, precedence, path anchoring, validation, and their documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from outcomes import readme
from outcomes.config import PROJECT_ROOT, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_anchor_paths_at_project_root(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.warehouse_path == PROJECT_ROOT / "data" / "warehouse.duckdb"
    assert s.sql_dir == PROJECT_ROOT / "sql"
    assert s.week_start == 1 and s.timezone == "UTC"


def test_environment_overrides_with_nested_delimiter(monkeypatch):
    monkeypatch.setenv("OUTCOMES_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("OUTCOMES_DRIFT__REFERENCE_WEEKS", "6")
    monkeypatch.setenv("OUTCOMES_SANDBOX__QUERY_SECONDS", "2.5")
    s = Settings()
    assert s.timezone == "Europe/Berlin"
    assert s.drift.reference_weeks == 6
    assert s.sandbox.query_seconds == 2.5


def test_toml_file_is_read_and_env_wins(monkeypatch, tmp_path):
    toml = tmp_path / "outcomes.toml"
    toml.write_text('currency = "EUR"\nweek_start = 7\n[drift]\nreference_mode = "trailing"\n')
    monkeypatch.setitem(Settings.model_config, "toml_file", str(toml))
    s = Settings()
    assert (s.currency, s.week_start, s.drift.reference_mode.value) == ("EUR", 7, "trailing")
    monkeypatch.setenv("OUTCOMES_CURRENCY", "GBP")
    assert Settings().currency == "GBP"


@pytest.mark.parametrize(
    ("field", "value"),
    [("timezone", "Mars/Olympus"), ("week_start", 8), ("currency", "EURO"), ("no_such_setting", 1)],
)
def test_bad_values_are_refused(field, value):
    with pytest.raises(ValidationError) as info:
        Settings(**{field: value})
    assert field in str(info.value)


def test_every_setting_is_documented_in_the_readme():
    text = (ROOT / "README.md").read_text()
    table = readme.render_settings()
    assert table in text, "README configuration table is stale: run `python -m outcomes.readme`"
    for line in table.splitlines()[2:]:
        assert line.count("|") == 5 and not line.rstrip().endswith("|  |"), f"undocumented: {line}"


def test_readme_generated_sections_are_current():
    assert readme.update_readme(ROOT / "README.md", check=True) == []


def test_the_architecture_module_map_is_current():
    assert readme.update_readme(ROOT / "docs" / "ARCHITECTURE.md", check=True) == []
    # and it names every module of the package
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    for path in (ROOT / "outcomes").rglob("*.py"):
        if path.name != "__init__.py":
            assert f"`{path.relative_to(ROOT).as_posix()}`" in text, path


def test_the_macros_page_is_current_and_its_sql_creates_every_macro():
    import duckdb

    assert readme.update_macros_doc(check=True) == []
    from outcomes.config import Settings
    from outcomes.core.macros import MACROS
    from outcomes.store.sqlfunctions import install

    con = duckdb.connect()
    install(con, Settings())  # the calendar and settings functions they call (and the macros)
    for name in [m.name for m in MACROS]:
        con.execute(f"drop macro if exists main.{name}")  # removed: the file must recreate them
        con.execute(f"drop macro table if exists main.{name}")
    page = (ROOT / "docs" / "MACROS.md").read_text()
    for block in re.findall(r"```sql\n(.*?)```", page, re.S):
        con.execute(block)

    created = {
        r[0]
        for r in con.execute(
            "select function_name from duckdb_functions() where function_type like '%macro%' "
            "and schema_name = 'main'"
        ).fetchall()
    }
    assert {m.name for m in MACROS} <= created
