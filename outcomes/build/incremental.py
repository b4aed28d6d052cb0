"""Incremental build: reuse the current snapshot, recompute only what new loads touched.

``build_snapshot(settings, incremental=True)`` calls :func:`outcomes.build.incremental_plan.plan`; when the current snapshot can
serve as a base (a successful build, same settings, every load it holds still in the raw store)
the build:

1. copies the current snapshot file to the new snapshot's temporary file (:func:`~outcomes.build.incremental_plan.clone`);
2. appends to its raw tables only the rows of loads it did not hold yet (:func:`~outcomes.build.incremental_plan.append_raw`);
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
The result is identical to a full build of the same raw store (``tests/build/test_incremental.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import duckdb

from outcomes.build.calibration import CalibrationError
from outcomes.build.incremental_plan import Plan
from outcomes.build.key_recompute import recompute_keys
from outcomes.build.materialise import materialise
from outcomes.build.objects import ObjectResult, error_text, load_ids_of
from outcomes.build.reuse_decisions import changed_raw_tables, decide, input_changes, key_column
from outcomes.build.staging_parts import PartsTarget, forget, row_count, uses_parts
from outcomes.build.week_fingerprints import changed_weeks, week_fingerprint
from outcomes.build.week_recompute import recompute_weeks
from outcomes.core.definition import OBJECT_KIND, BrokenDefinition, SqlDefinition, is_view
from outcomes.core.progress import Progress
from outcomes.core.quoting import quote_ident
from outcomes.core.registry import Registry

REUSE_DDL = """create or replace table main.build_reuse (
    build_id varchar, name varchar, kind varchar, mode varchar, weeks date[], reason varchar)"""


def build_objects(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    order: list[str],
    say: Progress,
    p: Plan,
    before_each: Callable[[SqlDefinition], set[str] | None] | None = None,
    parts: PartsTarget | None = None,
) -> list[ObjectResult]:
    """Like :func:`outcomes.build.materialise.materialise_all`, reusing or partly recomputing
    what did not change; ``before_each(item)`` runs before each object that is not blocked (the
    CBPE calibration fit, :class:`outcomes.build.calibration.CalibrationStep`)."""
    changes: dict[str, set | None] = {}  # qualified -> changed weeks (None = all)
    keys: dict[str, str] = {}  # staging recomputed by key -> its key column (temp _keys_<name>)
    changed_raw = changed_raw_tables(con, p)
    results: dict[str, ObjectResult] = {}
    load_id_cache: dict[str, tuple[str, ...]] = {}
    for q in order:
        item: SqlDefinition | BrokenDefinition = registry.definitions.get(q) or registry.broken[q]
        depends_on = registry.depends_on(q)
        prev_sha, prev_status = p.previous.get(q, (None, None))
        inputs = input_changes(registry, q, changes, changed_raw)
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
            results[q] = ObjectResult.of(
                item,
                status=status,
                error=error,
                rows=None,
                duration_ms=0.0,
                depends_on=depends_on,
                load_ids=load_ids_of(con, registry.raw_tables(q), load_id_cache),
            )
            changes[q] = None
            p.reuse[q] = ("full", None, status)
            say(f"{q}: {status} ({error})")
            continue
        started = time.perf_counter()
        rows: int | None = None
        error = None
        status = "ok"
        relation = f"{item.schema}.{quote_ident(item.name)}"
        key = key_column(item)
        keyed = {n for n in inputs if keys.get(n) == key}
        try:
            # before deciding: a table it writes (the CBPE calibration) may have changed
            for name in (before_each(item) or ()) if before_each is not None else ():
                inputs[name] = None
        except CalibrationError as exc:
            mode, weeks, reason = "full", None, "its calibration failed"
            status, error = "failed", error_text(exc, item)
            changes[q] = None
        else:
            mode, weeks, reason = decide(con, item, prev_sha, prev_status, inputs, keyed)
        if mode == "keys" and inputs.get("setting('as_of')", 0) is None:
            mode, reason = "full", "reads setting('as_of')"
        if mode == "weeks" and item.schema == "staging" and uses_parts(con, item.name):
            # its rows are in parts, never deleted in place: recomputed whole (a definition
            # tagged both key_local and week_local whose unkeyed input changed)
            mode, reason = "full", f"{reason}; kept in parts, so recomputed in full"
        try:
            if status == "failed":
                pass  # the calibration it reads failed: nothing to build
            elif mode == "keys":
                assert key is not None  # decide gives "keys" only to a key_local definition
                changes[q] = recompute_keys(
                    con, registry, item, key, sorted(keyed), p, inputs, parts=parts
                )
                keys[q] = key
                rows = _count(con, item, relation)
            elif mode == "reused":
                changes[q] = set()
                rows = _count(con, item, relation)
            elif is_view(item):
                # a view reads the new rows already: no before to compare with
                _drop(con, item)
                rows = materialise(con, item, parts)
                changes[q] = None
            else:
                before = week_fingerprint(con, f"{item.schema}.{item.name}")
                if mode == "weeks":
                    assert weeks is not None  # decide gives "weeks" with the weeks
                    rows = recompute_weeks(con, item, sorted(weeks))
                else:
                    _drop(con, item)
                    rows = materialise(con, item, parts)
                after = week_fingerprint(con, f"{item.schema}.{item.name}")
                changes[q] = changed_weeks(before, after)
        except (duckdb.Error, CalibrationError) as exc:
            status, error = "failed", error_text(exc, item)
            changes[q] = None
        p.reuse[q] = (mode, sorted(weeks) if weeks else None, reason)
        duration_ms = (time.perf_counter() - started) * 1000
        results[q] = ObjectResult.of(
            item,
            status=status,
            error=error,
            rows=rows,
            duration_ms=duration_ms,
            depends_on=depends_on,
            load_ids=load_ids_of(con, registry.raw_tables(q), load_id_cache),
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


# --- decisions ----------------------------------------------------------------------------


def _count(con: duckdb.DuckDBPyConnection, item: SqlDefinition, relation: str) -> int | None:
    """Rows of a table; None for a staging view (as a full build records it)."""
    if is_view(item):
        return None
    if item.schema == "staging" and uses_parts(con, item.name):
        return row_count(con, item.name)  # from the list of its parts: no scan of its rows
    return con.execute(f"select count(*) from {relation}").fetchall()[0][0]


def _drop(con: duckdb.DuckDBPyConnection, item: SqlDefinition | BrokenDefinition) -> None:
    schema = {v: k for k, v in OBJECT_KIND.items()}[item.kind]
    relation = f"{schema}.{quote_ident(item.name)}"
    views = con.execute(
        "select count(*) from duckdb_views() where database_name = current_database() "
        "and schema_name = ? and view_name = ?",
        [schema, item.name],
    ).fetchall()[0][0]
    con.execute(f"drop {'view' if views else 'table'} if exists {relation}")
    if schema == "staging":
        forget(con, item.name)  # its parts, if it had some (the view over them goes too)
        con.execute(f"drop table if exists staging_data.{quote_ident(item.name)}")
    if schema == "metrics":
        con.execute("delete from main.metric_values where metric = ?", [item.name])
