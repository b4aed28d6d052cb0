"""Quarantine: one ``raw.quarantine`` row per rejected source row, with every failure (column,
rule, reason in plain words), every raw value (or the record's text when it could not be split
into values) and the physical line it starts on, and reading it back.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from outcomes.config import Settings
from outcomes.core.quoting import quote_ident, quote_literal
from outcomes.ingest.contract_rules import rule_checks
from outcomes.ingest.load_ledger import LoadStart
from outcomes.ingest.scratch_tables import FLAGS_TABLE, TYPED_TABLE, source_value
from outcomes.ingest.source_files import SourcePlan
from outcomes.store.raw import open_raw_store


def insert_quarantine(con: duckdb.DuckDBPyConnection, plan: SourcePlan, base: LoadStart) -> None:
    """One quarantine row per rejected source row, with every failure and every raw value."""
    contract = plan.contract
    items = [
        f"case when {cond} then {{'column': {quote_literal(col)}, 'rule': {quote_literal(rule)}, "
        f"'reason': {reason}}} end"
        for col, rule, cond, reason in rule_checks(contract, plan.cutoff)
    ]
    key_text = " || ', ' || ".join(
        f"'{k} = ' || coalesce('''' || cast({quote_ident(k)} as varchar) || '''', 'empty')"
        for k in contract.key
    )
    key_cols = quote_literal(", ".join(contract.key))
    items.append(
        f"case when dup_key then {{'column': {key_cols}, 'rule': 'duplicate_key', "
        f"'reason': 'Key ' || {key_text} || ' appears earlier in this file (row ' || first_rn || "
        f"', line ' || coalesce(cast(first_line as varchar), '?') || '), which was valid and "
        f"loaded; this one was set aside. Remove the duplicate, or send the corrected row in a "
        f"later file.'}} end"
    )
    kept = set(plan.text_kept())
    v_defs = []
    for col in contract.columns:
        i = plan.mapping.get(col.name)
        if i is None:
            v_defs.append(f"cast(null as varchar) as {source_value(col.name)}")
        elif i in kept:
            v_defs.append(f"nullif(trim(s{i}), '') as {source_value(col.name)}")
        else:  # native Parquet value or VARCHAR: the typed value is the (trimmed) source value
            v_defs.append(f"cast({quote_ident(col.name)} as varchar) as {source_value(col.name)}")
    by_index = {i: name for name, i in plan.mapping.items()}
    raw_values = (
        "case when _record is not null then json_object('record', _record) else json_object("
        + ", ".join(
            f"{quote_literal(name)}, " + (f"s{i}" if i in kept else source_value(by_index[i]))
            for i, name in enumerate(plan.columns)
        )
        + ") end"
    )
    con.execute(
        f"""
        insert into raw.quarantine
        with bad as (
            select t.*, coalesce(f.dup_key, false) as dup_key, f.first_rn, first._line as first_line
            from {TYPED_TABLE} as t
            left join {FLAGS_TABLE} as f on f._rn = t._rn
            left join {TYPED_TABLE} as first on first._rn = f.first_rn
            where t._bad or coalesce(f.dup_key, false)
        ),
        v as (select *, {", ".join(v_defs)} from bad),
        failed as (
            select _rn, _line, {raw_values} as raw_values,
                   list_filter([{", ".join(items)}], lambda x: x is not null) as failures
            from v
        )
        select ?, ?, ?, _rn,
               struct_extract(failures[1], 'column'),
               struct_extract(failures[1], 'rule'),
               struct_extract(failures[1], 'reason'),
               raw_values,
               to_json(failures),
               _line
        from failed
        order by _rn
        """,
        [base["load_id"], base["table_name"], base["source_file"]],
    )


def quarantine_rows(
    settings: Settings, load_id: str | None = None, limit: int = 1000
) -> pd.DataFrame:
    """Rows of `raw.quarantine` (of one load, or all), oldest load first."""
    with open_raw_store(settings, write=False) as con:
        where = "where load_id = ?" if load_id else ""
        params = [load_id] if load_id else []
        return con.execute(
            f"select * from raw.quarantine {where} order by load_id, row_number limit {int(limit)}",
            params,
        ).df()
