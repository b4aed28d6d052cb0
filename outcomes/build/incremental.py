"""Incremental build: reuse the current snapshot, recompute only what new loads touched.

``build_snapshot(settings, incremental=True)`` calls :func:`plan`; when the current snapshot can
serve as a base (a successful build, same settings, every load it holds still in the raw store)
the build:

1. copies the current snapshot file to the new snapshot's temporary file (:func:`clone`);
2. appends to its raw tables only the rows of loads it did not hold yet (:func:`append_raw`);
3. walks the definitions in build order (:func:`build_objects`); per object:

   - ``reused``: its SQL (sha256) is unchanged and nothing it reads changed: the table is kept;
   - ``keys``: a staging definition tagged ``key_local(<column>)`` (it keeps the newest version
     per key, so the rows of one key value depend only on the input rows of that value): only
     the key values in the new loads' rows (and in a keyed input's recomputed rows) are
     recomputed, from raw tables narrowed to them;
   - ``weeks``: its SQL is unchanged, it is tagged ``week_local`` (the rows of week W depend only
     on the rows of week W of what it reads) and what it reads changed only in some weeks:
     those weeks' rows are deleted and recomputed (``select * from (<sql>) where week_start in
     (...)``), in its table and in ``main.metric_values``;
   - ``full``: anything else (changed SQL, a changed input without weeks, no tag) is rebuilt.

   Which weeks of an object changed is found by comparing a per-week fingerprint (row count and
   the sum of the rows' hashes) before and after it is recomputed, so a correction that moves an
   event to another week, a late label of an old event, or a week that stopped being partial
   are all caught. Drift metrics tagged ``drift_reference`` are week-local as long as no changed
   week lies inside (``fixed`` reference) or before (``trailing``: the next reference_weeks
   weeks are recomputed too) a reference window.

``main.build_reuse`` (one row per object: ``mode`` reused / keys / weeks / full, the weeks recomputed,
the reason) says what was reused and what was rebuilt; a full build writes it too (all ``full``).
The result is identical to a full build of the same raw store (``tests/test_incremental.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from outcomes.core.registry import OBJECT_KIND, BrokenDefinition, Registry, SqlDefinition, is_view
from outcomes.config import Settings
from outcomes.store.sqlfunctions import build_settings

Progress = Callable[[str], None]
WEEK_LOCAL = "week_local"
_KEY_LOCAL = re.compile(r"key_local\((\w+)\)")
DRIFT_REFERENCE = "drift_reference"
ALL = None  # "every week changed" (an object without week_start, or rebuilt in full)

REUSE_DDL = """create or replace table main.build_reuse (
    build_id varchar, name varchar, kind varchar, mode varchar, weeks date[], reason varchar)"""


@dataclass
class Plan:
    """What an incremental build starts from."""

    base: Path
    new_loads: list[str]
    previous: dict[str, tuple[str, str]]  # qualified name -> (sql_sha256, status)
    reuse: dict[str, tuple[str, list[dt.date] | None, str]] = field(default_factory=dict)


def plan(settings: Settings, registry: Registry, say: Progress) -> Plan | None:
    """A :class:`Plan` when the current snapshot can be the base, else None (says why)."""
    base = Path(settings.warehouse_path)
    if not base.exists():
        say("incremental: no current snapshot; full build")
        return None
    try:
        con = duckdb.connect(str(base), read_only=True)
    except duckdb.Error as exc:
        say(f"incremental: cannot open the current snapshot ({exc}); full build")
        return None
    try:
        tables = {
            f"{s}.{t}"
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
        if "main.build_reuse" not in tables or "raw.loads" not in tables:
            say("incremental: the current snapshot predates incremental builds; full build")
            return None
        [(status, settings_json)] = con.execute(
            "select status, settings::varchar from main.build_manifest"
        ).fetchall()
        objects = con.execute(
            "select name, kind, sql_sha256, status from main.build_objects"
        ).fetchall()
        held = {r[0] for r in con.execute("select load_id from raw.loads").fetchall()}
        base_settings = dict(
            con.execute(
                "select key, value from main.build_settings where key != 'as_of'"
            ).fetchall()
        )
    finally:
        con.close()
    if status != "ok":
        say("incremental: the current snapshot's build failed; full build")
        return None
    # what SQL can read (setting(key)) and where the SQL comes from; paths do not matter
    wanted = {k: v for k, v in build_settings(settings).items() if k != "as_of"}
    if base_settings != wanted or json.loads(settings_json).get("sql_dir") != str(settings.sql_dir):
        say("incremental: settings changed since the current snapshot; full build")
        return None
    from outcomes.store.raw import raw_lock

    with raw_lock(settings, exclusive=False):
        raw = duckdb.connect()
        try:
            raw.execute(f"attach {_literal(str(settings.raw_path))} as rawdb (read_only)")
            loads = {r[0] for r in raw.execute("select load_id from rawdb.raw.loads").fetchall()}
        finally:
            raw.close()
    if not held <= loads:
        say("incremental: loads of the current snapshot left the raw store; full build")
        return None
    schema = {v: k for k, v in OBJECT_KIND.items()}
    previous = {f"{schema[k]}.{n}": (sha, st) for n, k, sha, st in objects}
    names = set(registry.definitions) | set(registry.broken)
    if set(previous) - names:
        say("incremental: definitions were removed since the current snapshot; full build")
        return None
    return Plan(base=base, new_loads=sorted(loads - held), previous=previous)


def clone(p: Plan, tmp: Path) -> None:
    """Copy the base snapshot to ``tmp`` (the new snapshot's temporary file)."""
    shutil.copyfile(p.base, tmp)


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the base's manifest tables (the build writes its own); metric tables stay."""
    for table in ("build_manifest", "build_objects", "build_tests"):
        con.execute(f"drop table if exists main.{table}")


def append_raw(con: duckdb.DuckDBPyConnection, settings: Settings, p: Plan) -> dict[str, int]:
    """Append the rows of the plan's new loads to the cloned raw tables; returns rows added."""
    from outcomes.store.raw import ensure_schema, raw_lock

    counts: dict[str, int] = {}
    with raw_lock(settings, exclusive=False):
        con.execute(f"attach {_literal(str(settings.raw_path))} as rawdb (read_only)")
        try:
            rows = con.execute(
                "select table_name, list(column_name order by column_index) from duckdb_columns() "
                "where database_name = 'rawdb' and schema_name = 'raw' group by 1 order by 1"
            ).fetchall()
            con.execute("create or replace temp table _new_loads (load_id varchar)")
            if p.new_loads:
                con.executemany("insert into _new_loads values (?)", [[x] for x in p.new_loads])
            for table, columns in rows:
                ident = _ident(table)
                column = "load_id" if table in ("loads", "quarantine") else "_load_id"
                exists = con.execute(
                    "select count(*) from duckdb_tables() where database_name = current_database() "
                    "and schema_name = 'raw' and table_name = ?",
                    [table],
                ).fetchall()[0][0]
                if not exists:
                    con.execute(f"create table raw.{ident} as select * from rawdb.raw.{ident}")
                    counts[table] = con.execute(f"select count(*) from raw.{ident}").fetchall()[0][
                        0
                    ]
                    continue
                if column not in columns or not p.new_loads:
                    counts[table] = 0
                    continue
                cols = ", ".join(_ident(c) for c in columns)
                before = con.execute(f"select count(*) from raw.{ident}").fetchall()[0][0]
                con.execute(
                    f"insert into raw.{ident} ({cols}) select {cols} from rawdb.raw.{ident} "
                    f"where {new_loads_filter(p, column)}"
                )
                after = con.execute(f"select count(*) from raw.{ident}").fetchall()[0][0]
                counts[table] = after - before
        finally:
            con.execute("detach rawdb")
    ensure_schema(con)
    return counts


def new_loads_filter(p: Plan, column: str) -> str:
    """``column`` is one of the plan's new loads: the IN list (a semi join) behind a BETWEEN
    on the smallest and largest id, a constant range DuckDB checks against each row group's
    min/max and so skips the older loads' rows without reading them (10M events: appending
    one week's feature rows took 7.5 s reading every row, 0.3 s this way)."""
    if not p.new_loads:
        return "false"
    return _in_range(
        _ident(column), min(p.new_loads), max(p.new_loads), "select load_id from _new_loads"
    )


def _in_range(column: str, lo: object, hi: object, values: str) -> str:
    """``column in (values)`` behind ``column between lo and hi`` when both ends are text."""
    if not (isinstance(lo, str) and isinstance(hi, str)):
        return f"{column} in ({values})"
    return f"{column} between {_literal(lo)} and {_literal(hi)} and {column} in ({values})"


def _has_column(con: duckdb.DuckDBPyConnection, schema: str, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? and column_name = ?",
            [schema, table, column],
        ).fetchall()[0][0]
    )


def _narrowed_sql(item: SqlDefinition, tables: dict[tuple[str, str], str]) -> str:
    """The definition's SQL with each (schema, table) of ``tables`` read from its stand-in."""
    from sqlglot import exp, parse_one

    def narrow(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and (node.db, node.name) in tables:
            new = exp.to_table(tables[(node.db, node.name)])
            if node.alias:
                new.set("alias", node.args.get("alias"))
            return new
        return node

    return parse_one(item.body_sql, read="duckdb").transform(narrow).sql("duckdb")


def week_fingerprint(con: duckdb.DuckDBPyConnection, relation: str) -> dict | None:
    """{week_start: (rows, sum of row hashes)} of ``relation``, or None without week_start."""
    schema, name = relation.split(".", 1)
    columns = [
        c
        for (c,) in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? order by column_index",
            [schema, name],
        ).fetchall()
    ]
    if not columns:
        return {}
    row_hash = "hash(" + ", ".join(_ident(c) for c in columns) + ")"
    if "week_start" not in columns:
        [(n, h)] = con.execute(
            f"select count(*), coalesce(sum({row_hash}), 0)::varchar from {relation}"
        ).fetchall()
        return {"*": (n, h)}
    return {
        w: (n, h)
        for w, n, h in con.execute(
            f"select week_start, count(*), sum({row_hash})::varchar from {relation} group by 1"
        ).fetchall()
    }


def changed_weeks(before: dict | None, after: dict | None) -> set | None:
    """Weeks whose rows differ; None (every week) when the relation has no week_start."""
    if before is None or after is None or "*" in before or "*" in after:
        return None if before != after else set()
    return {w for w in set(before) | set(after) if before.get(w) != after.get(w)}


def build_objects(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    order: list[str],
    say: Progress,
    p: Plan,
    materialise: Callable[[duckdb.DuckDBPyConnection, SqlDefinition], int | None],
    long_insert: Callable[[SqlDefinition], str],
) -> list:
    """Like ``build._build_objects``, reusing or partly recomputing what did not change."""
    from outcomes.build.full import ObjectResult, _error_text, _load_ids

    changes: dict[str, set | None] = {}  # qualified -> changed weeks (None = all)
    keys: dict[str, str] = {}  # staging recomputed by key -> its key column (temp _keys_<name>)
    changed_raw = _changed_raw_tables(con, p)
    results: dict[str, ObjectResult] = {}
    load_id_cache: dict[str, tuple[str, ...]] = {}
    for q in order:
        item: SqlDefinition | BrokenDefinition = registry.definitions.get(q) or registry.broken[q]
        depends_on = registry.depends_on(q)
        prev_sha, prev_status = p.previous.get(q, (None, None))
        inputs = _input_changes(registry, q, changes, changed_raw)
        if "as_of" in getattr(item, "body_sql", ""):
            inputs["setting('as_of')"] = None  # the build time: changes at every build
        blocked = [d for d in depends_on if d in results and results[d].status != "ok"]
        error: str | None
        if isinstance(item, BrokenDefinition) or blocked:
            _drop(con, item)
            if isinstance(item, BrokenDefinition):
                status, error = "failed", f"invalid definition: {item.message}"
            else:
                status = "skipped"
                error = "skipped: depends on " + ", ".join(
                    f"{d} ({results[d].status})" for d in blocked
                )
            results[q] = ObjectResult(
                name=item.name,
                kind=item.kind,
                path=str(item.path),
                sql_sha256=item.sha256,
                rows=None,
                duration_ms=0.0,
                status=status,
                error=error,
                depends_on=depends_on,
                load_ids=_load_ids(con, registry.raw_tables(q), load_id_cache),
            )
            changes[q] = None
            p.reuse[q] = ("full", None, status)
            say(f"{q}: {status} ({error})")
            continue
        started = time.perf_counter()
        rows: int | None = None
        error = None
        status = "ok"
        relation = f"{item.schema}.{_ident(item.name)}"
        key = key_column(item)
        keyed = {n for n in inputs if keys.get(n) == key}
        mode, weeks, reason = _decide(con, item, prev_sha, prev_status, inputs, keyed)
        if mode == "keys" and inputs.get("setting('as_of')", 0) is None:
            mode, reason = "full", "reads setting('as_of')"
        try:
            if mode == "keys":
                assert key is not None  # _decide gives "keys" only to a key_local definition
                changes[q] = _recompute_keys(con, registry, item, key, sorted(keyed), p, inputs)
                keys[q] = key
                rows = _count(con, item, relation)
            elif mode == "reused":
                changes[q] = set()
                rows = _count(con, item, relation)
            elif is_view(item):
                # a view reads the new rows already: no before to compare with
                _drop(con, item)
                rows = materialise(con, item)
                changes[q] = None
            else:
                before = week_fingerprint(con, f"{item.schema}.{item.name}")
                if mode == "weeks":
                    assert weeks is not None  # _decide gives "weeks" with the weeks
                    rows = _recompute_weeks(con, item, sorted(weeks), long_insert)
                else:
                    _drop(con, item)
                    rows = materialise(con, item)
                after = week_fingerprint(con, f"{item.schema}.{item.name}")
                changes[q] = changed_weeks(before, after)
        except duckdb.Error as exc:
            status, error = "failed", _error_text(exc, item)
            changes[q] = None
        p.reuse[q] = (mode, sorted(weeks) if weeks else None, reason)
        duration_ms = (time.perf_counter() - started) * 1000
        results[q] = ObjectResult(
            name=item.name,
            kind=item.kind,
            path=str(item.path),
            sql_sha256=item.sha256,
            rows=rows,
            duration_ms=round(duration_ms, 3),
            status=status,
            error=error,
            depends_on=depends_on,
            load_ids=_load_ids(con, registry.raw_tables(q), load_id_cache),
        )
        say(f"{q}: {status} ({mode}: {reason}, {duration_ms:.0f} ms)")
    return list(results.values())


def write_reuse(
    con: duckdb.DuckDBPyConnection, build_id: str, objects: list, p: Plan | None
) -> None:
    """``main.build_reuse``: per object, reused / weeks / full and why."""
    con.execute(REUSE_DDL)
    rows = []
    for o in objects:
        q = o.qualified
        mode, weeks, reason = (
            p.reuse.get(q, ("full", None, "")) if p else ("full", None, "full build")
        )
        rows.append([build_id, o.name, o.kind, mode, weeks, reason])
    if rows:
        con.executemany("insert into main.build_reuse values (?, ?, ?, ?, ?, ?)", rows)


def reuse_summary(p: Plan | None) -> dict | None:
    """For the JSON manifest: counts per mode and the new loads."""
    if p is None:
        return None
    modes: dict[str, list[str]] = {}
    for q, (mode, _, _) in p.reuse.items():
        modes.setdefault(mode, []).append(q)
    return {"base": str(p.base), "new_loads": p.new_loads, **modes}


# --- decisions ----------------------------------------------------------------------------


def _changed_raw_tables(con: duckdb.DuckDBPyConnection, p: Plan) -> dict[str, set | None]:
    """raw.<table> -> None (changed) for every raw table the new loads added rows to."""
    out: dict[str, set | None] = {}
    if not p.new_loads:
        return out
    tables = con.execute(
        "select distinct table_name from raw.loads where load_id in (select load_id from _new_loads)"
    ).fetchall()
    for (t,) in tables:
        out[f"raw.{t}"] = None
    out["raw.loads"] = None
    out["raw.quarantine"] = None
    return out


def _input_changes(
    registry: Registry, q: str, changes: dict[str, set | None], changed_raw: dict[str, set | None]
) -> dict[str, set | None]:
    """What changed among the direct inputs of ``q``: name -> weeks (None: everything)."""
    out: dict[str, set | None] = {}
    for d in registry.depends_on(q):
        if d in changes and (changes[d] is None or changes[d]):
            out[d] = changes[d]
    item = registry.definitions.get(q) or registry.broken[q]
    for d in item.reads:
        # raw tables copied from the state store (no load ledger) may change at any build
        if d.startswith("raw.") and (d in changed_raw or d.split(".", 1)[1] not in _LOAD_TABLES):
            out[d] = None
    return out


# raw tables that change only with loads; raw.assumptions is not one of them: every build
# rewrites it from the register file and the CLI changes, so it counts as changed every time
_LOAD_TABLES = {
    "ai_events", "ai_features", "feedback", "work_items", "users", "costs", "incidents",
    "loads", "quarantine",
}  # fmt: skip


def _decide(
    con: duckdb.DuckDBPyConnection,
    item: SqlDefinition,
    prev_sha: str | None,
    prev_status: str | None,
    inputs: dict[str, set | None],
    keyed: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[str, set | None, str]:
    if prev_sha is None:
        return "full", None, "new definition"
    if prev_sha != item.sha256:
        return "full", None, "definition changed (sql_sha256)"
    if prev_status != "ok":
        return "full", None, f"was {prev_status} in the base snapshot"
    if not inputs:
        return "reused", None, "inputs unchanged"
    tags = set(getattr(item.header, "tags", None) or ())
    key = key_column(item)
    if key is not None and all(n.startswith("raw.") or n in keyed for n in inputs):
        return "keys", None, f"rows of the {key} values the new loads touch"
    if any(w is None for w in inputs.values()):
        whole = sorted(n for n, w in inputs.items() if w is None)
        return "full", None, "changed without weeks: " + ", ".join(whole)
    # every value is a set here (a None returned "full" above)
    weeks: set = set().union(*(w for w in inputs.values() if w is not None))
    if item.schema == "staging" or not (tags & {WEEK_LOCAL, DRIFT_REFERENCE}):
        return "full", None, "not tagged week_local"
    if DRIFT_REFERENCE in tags:
        return _drift_weeks(con, item, weeks)
    return "weeks", weeks, f"{len(weeks)} changed week(s)"


def _drift_weeks(
    con: duckdb.DuckDBPyConnection, item: SqlDefinition, weeks: set
) -> tuple[str, set | None, str]:
    """Weeks to recompute for a drift metric, or a full rebuild when a reference moved."""
    mode = _setting(con, "drift.reference_mode")
    n = int(_setting(con, "drift.reference_weeks"))
    if mode == "trailing":
        later = {w + dt.timedelta(weeks=k) for w in weeks for k in range(1, n + 1)}
        return "weeks", weeks | later, f"{len(weeks)} changed week(s) and their trailing windows"
    [(last_reference,)] = con.execute(
        f"select max(reference_end) from {item.schema}.{_ident(item.name)}"
    ).fetchall()
    if last_reference is None or min(weeks) <= last_reference:
        return "full", None, "a changed week lies in a reference window"
    return "weeks", weeks, f"{len(weeks)} changed week(s) after every reference window"


def key_column(item: SqlDefinition | BrokenDefinition) -> str | None:
    """``c`` of a ``key_local(c)`` tag: the rows of one value of ``c`` depend only on the
    input rows with that value (staging that keeps the newest version per key)."""
    header = getattr(item, "header", None)
    for tag in getattr(header, "tags", None) or ():
        m = _KEY_LOCAL.fullmatch(tag)
        if m:
            return m.group(1)
    return None


def _recompute_keys(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    item: SqlDefinition,
    key: str,
    keyed_inputs: list[str],
    p: Plan,
    input_weeks: dict[str, set | None] | None = None,
) -> set | None:
    """Recompute the rows of the key values that new loads (or a keyed input) touched.

    Every raw table the definition reads that has the key column is narrowed to those key
    values (so are keyed staging inputs), the SQL runs on the narrowed tables, and its rows
    replace the old rows of those keys. Returns the weeks of the old and new rows.
    """

    from outcomes.build.full import raw_columns

    name, k = item.name, _ident(key)
    keys_table = f"_keys_{name}"
    sources = []
    narrowed: dict[tuple[str, str], str] = {}
    for ref in sorted(r for r in item.reads if r.startswith("raw.")):
        table = ref.split(".", 1)[1]
        columns = raw_columns(con, table)
        if key in columns and "_load_id" in columns:
            sources.append(
                f"select {k} as k from raw.{_ident(table)} where {new_loads_filter(p, '_load_id')}"
            )
            narrowed[("raw", table)] = f"_narrow_raw_{table}"
    for q in keyed_inputs:
        sources.append(f"select k from _keys_{q.split('.', 1)[1]}")
    con.execute(
        f"create or replace temp table {keys_table} as "
        + (" union ".join(sources) if sources else "select null::varchar as k where false")
    )
    # the keys' range as constants too: row groups outside it are skipped unread (new keys
    # are usually the newest ids; corrections of old keys widen it, which stays correct)
    [(lo, hi)] = con.execute(f"select min(k), max(k) from {keys_table}").fetchall()
    mine = _in_range(k, lo, hi, f"select k from {keys_table}")
    for (_, table), temp in narrowed.items():
        con.execute(
            f"create or replace temp view {temp} as select * from raw.{_ident(table)} where {mine}"
        )
    for q in keyed_inputs:
        upstream = q.split(".", 1)[1]
        temp = f"_narrow_staging_{upstream}"
        con.execute(
            f"create or replace temp view {temp} as select * from staging.{_ident(upstream)} "
            f"where {mine}"
        )
        narrowed[("staging", upstream)] = temp

    if is_view(item):
        return _view_key_weeks(con, item, key, keys_table, narrowed, input_weeks or {})
    body = _narrowed_sql(item, narrowed)
    data = f"staging_data.{_ident(name)}"
    has_week = _has_column(con, "staging_data", name, "week_start")
    weeks_sql = f"select distinct week_start from {data} where {mine}"
    before = {w for (w,) in con.execute(weeks_sql).fetchall()} if has_week else None
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {data} where {mine}")
        con.execute(f"insert into {data} select * from ({body}) as _k")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    if not has_week:
        return None
    after = {w for (w,) in con.execute(weeks_sql).fetchall()}
    return (before or set()) | after


def _view_key_weeks(
    con: duckdb.DuckDBPyConnection,
    item: SqlDefinition,
    key: str,
    keys_table: str,
    narrowed: dict[tuple[str, str], str],
    input_weeks: dict[str, set | None],
) -> set | None:
    """The changed weeks of a staging definition tagged ``view`` (nothing stored: the view
    already reads the new rows): the weeks of its rows of the touched keys now, and before:
    its SQL on the raw rows of the earlier loads only, plus the changed weeks of its keyed
    staging inputs (already recomputed, so their own before-weeks come from there)."""
    if not _has_column(con, "staging", item.name, "week_start"):
        return None
    k = _ident(key)
    earlier = dict(narrowed)
    for (schema, table), temp in narrowed.items():
        if schema == "raw":
            earlier[(schema, table)] = f"{temp}_earlier"
            con.execute(
                f"create or replace temp view {temp}_earlier as select * from {temp} "
                "where _load_id not in (select load_id from _new_loads)"
            )
    weeks: set = set()
    for tables in (narrowed, earlier):
        weeks |= {
            w
            for (w,) in con.execute(
                f"select distinct week_start from ({_narrowed_sql(item, tables)}) as _v "
                f"where {k} in (select k from {keys_table})"
            ).fetchall()
        }
    for schema, table in narrowed:
        if schema == "staging":
            upstream = input_weeks.get(f"staging.{table}", set())
            if upstream is None:
                return None
            weeks |= upstream
    return weeks


def _narrow_to_reference(con: duckdb.DuckDBPyConnection, item: SqlDefinition, listed: str) -> str:
    """The SQL of a fixed-reference drift metric reading only the weeks it needs.

    The rows of the weeks recomputed depend on those weeks and the reference windows, which
    (fixed mode, checked by ``_drift_weeks``) all end by the table's last reference_end; the
    staging inputs with a week_start are narrowed to these weeks. Any other definition: as is.
    """
    tags = set(getattr(item.header, "tags", None) or ())
    if DRIFT_REFERENCE not in tags or _setting(con, "drift.reference_mode") != "fixed":
        return item.body_sql
    from sqlglot import exp, parse_one

    [(last_reference,)] = con.execute(
        f"select max(reference_end) from {item.schema}.{_ident(item.name)}"
    ).fetchall()
    narrowed: dict[str, str] = {}
    for ref in item.reads:
        schema, name = ref.split(".", 1)
        if schema != "staging" or name == "weeks":
            continue
        has_week = con.execute(
            "select count(*) from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'staging' and table_name = ? and column_name = 'week_start'",
            [name],
        ).fetchall()[0][0]
        if has_week:
            temp = f"_weeks_staging_{name}"
            con.execute(
                f"create or replace temp view {temp} as select * from staging.{_ident(name)} "
                f"where week_start <= date '{last_reference:%Y-%m-%d}' or week_start in ({listed})"
            )
            narrowed[name] = temp

    def narrow(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.db == "staging" and node.name in narrowed:
            new = exp.to_table(narrowed[node.name])
            if node.args.get("alias"):
                new.set("alias", node.args.get("alias"))
            return new
        return node

    return parse_one(item.body_sql, read="duckdb").transform(narrow).sql("duckdb")


def _recompute_weeks(
    con: duckdb.DuckDBPyConnection,
    item: SqlDefinition,
    weeks: list,
    long_insert: Callable[[SqlDefinition], str],
) -> int:
    relation = f"{item.schema}.{_ident(item.name)}"
    listed = ", ".join(f"date '{w:%Y-%m-%d}'" for w in weeks) or "null"
    body = _narrow_to_reference(con, item, listed)
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {relation} where week_start in ({listed})")
        con.execute(
            f"insert into {relation} select * from (\n{body}\n) as _w "
            f"where week_start in ({listed})"
        )
        if item.schema == "metrics":
            con.execute(
                f"delete from main.metric_values where metric = ? and week_start in ({listed})",
                [item.name],
            )
            insert = long_insert(item) + f" where week_start in ({listed})"
            con.execute(insert)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return con.execute(f"select count(*) from {relation}").fetchall()[0][0]


def _count(con: duckdb.DuckDBPyConnection, item: SqlDefinition, relation: str) -> int | None:
    """Rows of a table; None for a staging view (as a full build records it)."""
    if is_view(item):
        return None
    return con.execute(f"select count(*) from {relation}").fetchall()[0][0]


def _drop(con: duckdb.DuckDBPyConnection, item: SqlDefinition | BrokenDefinition) -> None:
    schema = {v: k for k, v in OBJECT_KIND.items()}[item.kind]
    relation = f"{schema}.{_ident(item.name)}"
    views = con.execute(
        "select count(*) from duckdb_views() where database_name = current_database() "
        "and schema_name = ? and view_name = ?",
        [schema, item.name],
    ).fetchall()[0][0]
    con.execute(f"drop {'view' if views else 'table'} if exists {relation}")
    if schema == "staging":
        con.execute(f"drop table if exists staging_data.{_ident(item.name)}")
    if schema == "metrics":
        con.execute("delete from main.metric_values where metric = ?", [item.name])


def _setting(con: duckdb.DuckDBPyConnection, key: str) -> str:
    return con.execute("select value from main.build_settings where key = ?", [key]).fetchall()[0][
        0
    ]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
