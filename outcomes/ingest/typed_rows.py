"""The typed rows of one file (``TYPED_TABLE``) and appending the accepted ones to ``raw.<table>``.

Every source row gets its typed values, whether it breaks any rule (``_bad``) and a hash of its
typed values (``_h``, not stored), so a row re-sent with other formatting is the same row. Rows identical
to the loaded version of their key are skipped, not appended again.
"""

from __future__ import annotations

import duckdb

from outcomes.config import Settings
from outcomes.core.contracts import Contract
from outcomes.core.quoting import quote_ident, quote_literal
from outcomes.ingest.contract_rules import rule_checks, typed_expr
from outcomes.ingest.duplicates import row_hash_expr
from outcomes.ingest.load_ledger import IngestError
from outcomes.ingest.scratch_tables import FLAGS_TABLE, SOURCE_VIEW, TYPED_TABLE, source_value
from outcomes.ingest.source_files import SourcePlan
from outcomes.store.segments import SEGMENTED, write_segment


def create_typed_table(con: duckdb.DuckDBPyConnection, plan: SourcePlan) -> None:
    """Materialise `TYPED_TABLE`: row and line number, reader fault, kept source text, typed
    values, rule verdict, row hash."""
    contract = plan.contract
    kept = ", ".join(f"s{i}" for i in plan.text_kept())
    v_defs, typed = [], []
    for col in contract.columns:
        i = plan.mapping.get(col.name)
        if i is None:
            v_defs.append(f"cast(null as varchar) as {source_value(col.name)}")
        elif col.name in plan.native:
            v_defs.append(f"n{i} as {source_value(col.name)}")
        else:
            v_defs.append(f"nullif(trim(s{i}), '') as {source_value(col.name)}")
        if col.name in plan.native:
            typed.append(f"cast({source_value(col.name)} as {col.type}) as {quote_ident(col.name)}")
        else:
            typed.append(f"{typed_expr(col)} as {quote_ident(col.name)}")
    names = ", ".join(quote_ident(c.name) for c in contract.columns)
    bad = " or ".join(
        f"coalesce({cond}, false)" for _, _, cond, _ in rule_checks(contract, plan.cutoff)
    )
    # The row hash is over the typed values, so a re-sent row that differs only in formatting
    # ('1.0' vs '1', 'Z' vs no offset) is the same row: DuckDB's 64-bit hash() of the typed
    # values (md5 over their text cost 3x the CPU of a plain Parquet load at 10M rows). It is
    # not stored: the loaded version it is compared with is hashed by the same expression
    # (duplicates.row_hash), in the same DuckDB, so a DuckDB whose hash() differs cannot make
    # every re-sent row look changed.
    row_hash = row_hash_expr(contract)
    sql = f"""
        create temp table {TYPED_TABLE} as
        with v as (select * , {", ".join(v_defs)} from {SOURCE_VIEW}),
        t as (select *, {", ".join(typed)} from v)
        select _rn, _line, _fault, _record, {kept + ", " if kept else ""}{names},
               ({bad}) as _bad,
               {row_hash} as _h
        from t
    """
    try:
        con.execute(sql)
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:
        first = str(exc).strip().splitlines()[0]
        raise IngestError(
            f"Cannot ingest {plan.f}: reading it failed part way ({first}). Check the file, or "
            "re-export it, and send it again.",
            path=plan.f,
            hint="re-export the file",
        ) from None


def insert_accepted(
    con: duckdb.DuckDBPyConnection, contract: Contract, load_id: str, settings: Settings
) -> None:
    """Append the rows that break no rule and are no duplicate to ``raw.<table>``: for the large
    tables, as this load's own Parquet file (:mod:`outcomes.store.segments`)."""
    names = ", ".join(quote_ident(c.name) for c in contract.columns)
    select = f"""
        select {names}, {quote_literal(load_id)} as _load_id, t._rn as _row_number
        from {TYPED_TABLE} as t
        anti join (select _rn from {FLAGS_TABLE} where dup_key or dup_row) as f on f._rn = t._rn
        where not t._bad
    """
    if contract.table in SEGMENTED:
        # _correction: an earlier load brought a version of the row's key. classify_rows gives
        # such a row a flag row (one per _rn at most); the other flag rows, duplicates within
        # the file and resent identical rows, are left out here
        segment = f"""
            select {names}, {quote_literal(load_id)} as _load_id, t._rn as _row_number,
                   f._rn is not null as _correction
            from {TYPED_TABLE} as t
            left join {FLAGS_TABLE} as f on f._rn = t._rn
            where not t._bad and not coalesce(f.dup_key or f.dup_row, false)
            order by t._rn
        """
        write_segment(con, settings, contract.table, load_id, segment)
        return
    con.execute(f"insert into raw.{contract.table} ({names}, _load_id, _row_number) {select}")
