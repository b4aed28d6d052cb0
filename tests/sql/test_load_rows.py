"""staging.load_rows counts the nulls of exactly the columns each contract requires, for exactly
the raw store's load-file tables."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from outcomes.core.contracts import CONTRACTS
from outcomes.core.macros.data_quality import COUNTED_IN_STAGING
from outcomes.store.segments import SEGMENTED
from tests.sqlharness import SQL_DIR, rows, run_sql


def _checked_columns() -> dict[str, set[str]]:
    text = (SQL_DIR / "staging" / "load_rows.sql").read_text()
    tree = sqlglot.parse_one(text[text.index("--- */") + 6 :], read="duckdb")
    out: dict[str, set[str]] = {}
    for select in tree.find_all(exp.Select):
        [source] = [e.this.name for e in select.expressions if e.alias == "source"]
        [nulls] = [e for e in select.expressions if e.alias == "null_rows"]
        out[source] = {c.name for c in nulls.find_all(exp.Column)}
    return out


def test_the_null_checks_are_the_contracts_required_columns():
    checked = _checked_columns()
    assert set(checked) == set(COUNTED_IN_STAGING) == set(SEGMENTED)
    for table, columns in checked.items():
        assert columns == set(CONTRACTS[table].required_columns), table


def test_each_load_s_accepted_rows_and_nulls_are_counted():
    con = run_sql(
        {
            "ai_features": [
                {"event_id": "E1", "feature": "a", "value_num": 1.0},
                {"event_id": "E1", "feature": None, "value_num": 2.0},
                {"event_id": None, "feature": "b"},
            ],
            "work_items": [{"item_id": "W1", "opened_at": "2026-03-02 10:00:00"}],
        }
    )
    got = rows(con, "select source, _load_id, rows_accepted, null_rows from staging.load_rows")
    # the harness loads every row as load L1; work_items' row lacks team, customer, ai_assisted
    assert sorted(got) == [("ai_features", "L1", 3, 2), ("work_items", "L1", 1, 1)]
