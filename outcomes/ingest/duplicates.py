"""Duplicate keys and rows within a file and against earlier loads, and corrections.

Within a file the first valid occurrence of a key is kept (a row that breaks a rule is
quarantined for that rule and does not count as an occurrence); a valid row whose key was
loaded before is skipped as already loaded when its hash equals the newest loaded version's
(a re-sent file that grew loads only its new rows), else it is a correction. Only the loaded
versions of keys the file repeats are hashed, when the file is loaded; no hash is stored.
"""

from __future__ import annotations

import duckdb

from outcomes.core.contracts import Contract
from outcomes.core.quoting import quote_ident
from outcomes.ingest.scratch_tables import FLAGS_TABLE, TYPED_TABLE


def row_hash_expr(contract: Contract, alias: str | None = None) -> str:
    """DuckDB's 64-bit hash of a row's typed contract values, in contract order: of the file's
    typed rows (``_h``, already of the contract's types) and, with ``alias``, of a loaded version
    of the same key, cast to the contract's types: a raw store written when a column had
    another type (INTEGER, now BIGINT) hashes its values as today's rows (hash(5::INTEGER)
    differs from hash(5::BIGINT)), so a re-sent row is not taken for a correction.

    >>> from outcomes.core.contracts import CONTRACTS
    >>> row_hash_expr(CONTRACTS["users"])
    'hash("user_id", "team", "eligible_from", "eligible_to")'
    >>> row_hash_expr(CONTRACTS["users"], "r")
    'hash(cast(r."user_id" as VARCHAR), cast(r."team" as VARCHAR), cast(r."eligible_from" as DATE), cast(r."eligible_to" as DATE))'
    """
    if alias is None:
        return "hash(" + ", ".join(quote_ident(c.name) for c in contract.columns) + ")"
    return (
        "hash("
        + ", ".join(f"cast({alias}.{quote_ident(c.name)} as {c.type})" for c in contract.columns)
        + ")"
    )


def _key_join(contract: Contract, a: str, b: str) -> str:
    # an empty value of a nullable key column (e.g. assumptions.system) is a value of its own
    return " and ".join(
        f"{a}.{quote_ident(k)} "
        + ("is not distinct from" if k in contract.nullable_key else "=")
        + f" {b}.{quote_ident(k)}"
        for k in contract.key
    )


_LOADED_AT = "coalesce(l.started_at, '-infinity'::timestamp)"


def classify_rows(con: duckdb.DuckDBPyConnection, contract: Contract) -> tuple[int, int, int, int]:
    """Flag duplicate keys, rows already loaded and corrections.

    Returns (accepted, quarantined, corrected, already loaded).
    """
    keys = ", ".join(quote_ident(k) for k in contract.key)
    key_not_null = " and ".join(
        f"{quote_ident(k)} is not null" for k in contract.key if k not in contract.nullable_key
    )
    con.execute(f"""
        create temp table {FLAGS_TABLE} as
        with firsts as (
            select {keys}, min(_rn) as first_rn
            from {TYPED_TABLE}
            where {key_not_null} and not _bad
            group by {keys}
            having count(*) > 1
        )
        select t._rn, true as dup_key, f.first_rn, cast(null as varchar) as prev_load,
               false as dup_row, false as corrected
        from {TYPED_TABLE} as t
        join firsts as f on {_key_join(contract, "t", "f")}
        where t._rn > f.first_rn and not t._bad
    """)
    table = f"raw.{contract.table}"
    [(has_rows,)] = con.execute(f"select count(*) from (select 1 from {table} limit 1)").fetchall()
    if has_rows:
        # Compare each valid row with the newest loaded version of its key.
        con.execute(f"""
            insert into {FLAGS_TABLE}
            with cand as (
                select t._rn, {", ".join(f"t.{quote_ident(k)}" for k in contract.key)}, t._h
                from {TYPED_TABLE} as t
                anti join {FLAGS_TABLE} as x on x._rn = t._rn
                where not t._bad
            ),
            -- a row of an older store whose load the ledger lacks (an odd or missing load id,
            -- DECISIONS issue 18 item 3) still counts as an earlier version, the oldest, as
            -- staging orders it (started_at desc, nulls last): its key is a correction now
            prev as (
                select {", ".join(f"r.{quote_ident(k)}" for k in contract.key)},
                       arg_max({row_hash_expr(contract, "r")}, {_LOADED_AT}) as prev_hash,
                       arg_max(r._load_id, {_LOADED_AT}) as prev_load
                from {table} as r
                left join raw.loads as l on l.load_id = r._load_id
                semi join cand as c on {_key_join(contract, "r", "c")}
                group by all
            )
            select c._rn, false, null, p.prev_load, c._h = p.prev_hash, c._h <> p.prev_hash
            from cand as c
            join prev as p on {_key_join(contract, "c", "p")}
        """)
    [(rows, quarantined, loaded)] = con.execute(f"""
        select count(*),
               count(*) filter (where t._bad or coalesce(f.dup_key, false)),
               count(*) filter (where not t._bad and coalesce(f.dup_row, false))
        from {TYPED_TABLE} as t left join {FLAGS_TABLE} as f on f._rn = t._rn
    """).fetchall()
    [(corrected,)] = con.execute(f"select count(*) from {FLAGS_TABLE} where corrected").fetchall()
    return rows - quarantined - loaded, quarantined, corrected, loaded
