"""Per object of an incremental build: what changed among its inputs, and so what to do.

- ``reused``: its SQL (sha256) is unchanged and nothing it reads changed: the table is kept;
- ``keys``: a staging definition tagged ``key_local(<column>)``: only the key values the new
  loads touched are recomputed (:mod:`outcomes.build.key_recompute`);
- ``weeks``: tagged ``week_local`` (or ``drift_reference`` with no changed week inside or before
  a reference window) and its inputs changed only in some weeks: those weeks are recomputed
  (:mod:`outcomes.build.week_recompute`); a staging table too (staging.feature_value_counts),
  never a staging view (it holds no rows);
- ``full``: anything else is rebuilt.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb

from outcomes.build.incremental_plan import Plan
from outcomes.core.definition import BrokenDefinition, SqlDefinition, is_view
from outcomes.core.quoting import quote_ident
from outcomes.core.registry import Registry

WEEK_LOCAL = "week_local"
DRIFT_REFERENCE = "drift_reference"
_KEY_LOCAL = re.compile(r"key_local\((\w+)\)")

# raw tables that change only with loads; raw.assumptions is not one of them: every build
# rewrites it from the register file and the CLI changes, so it counts as changed every time
LOAD_TABLES = {
    "ai_events", "ai_features", "feedback", "work_items", "users", "costs", "incidents", "systems",
    "loads", "quarantine",
}  # fmt: skip


def changed_raw_tables(con: duckdb.DuckDBPyConnection, p: Plan) -> dict[str, set | None]:
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


def input_changes(
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
        if d.startswith("raw.") and (d in changed_raw or d.split(".", 1)[1] not in LOAD_TABLES):
            out[d] = None
    return out


# raw tables that change only with loads; raw.assumptions is not one of them: every build
# rewrites it from the register file and the CLI changes, so it counts as changed every time


def decide(
    con: duckdb.DuckDBPyConnection,
    item: SqlDefinition,
    prev_sha: str | None,
    prev_status: str | None,
    inputs: dict[str, set | None],
    keyed: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[str, set | None, str]:
    """``(mode, weeks, reason)`` for one object: reused, keys, weeks or full."""
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
    if not (tags & {WEEK_LOCAL, DRIFT_REFERENCE}) or is_view(item):
        return "full", None, "not tagged week_local"
    if DRIFT_REFERENCE in tags:
        return _drift_weeks(con, item, weeks)
    return "weeks", weeks, f"{len(weeks)} changed week(s)"


def _drift_weeks(
    con: duckdb.DuckDBPyConnection, item: SqlDefinition, weeks: set
) -> tuple[str, set | None, str]:
    """Weeks to recompute for a drift metric, or a full rebuild when a reference moved."""
    mode = build_setting(con, "drift.reference_mode")
    n = int(build_setting(con, "drift.reference_weeks"))
    if mode == "trailing":
        later = {w + dt.timedelta(weeks=k) for w in weeks for k in range(1, n + 1)}
        return "weeks", weeks | later, f"{len(weeks)} changed week(s) and their trailing windows"
    [(last_reference,)] = con.execute(
        f"select max(reference_end) from {item.schema}.{quote_ident(item.name)}"
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


def build_setting(con: duckdb.DuckDBPyConnection, key: str) -> str:
    """The value of ``key`` in the snapshot's ``main.build_settings``."""
    return con.execute("select value from main.build_settings where key = ?", [key]).fetchall()[0][
        0
    ]
