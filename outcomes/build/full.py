"""``outcomes build``: a new snapshot file, built beside the warehouse and swapped in atomically.

Steps, in one DuckDB file ``.<warehouse>-<build_id>.duckdb.tmp``:

1. start from a byte copy of the raw store file (under its shared lock): every raw table,
   ``raw.loads`` and ``raw.quarantine`` come with it at the speed of a file copy, where a
   row-by-row ``create table as`` re-encoded every row (10M events: 69 s of a 128 s build);
   anything outside schema ``raw`` is dropped;
2. macros, Python functions and ``main.build_settings`` (:mod:`outcomes.store.sqlfunctions`);
3. every definition in build order: ``sql/staging`` as views, ``sql/metrics`` and ``sql/roi``
   as tables; a failure is recorded and its dependents are skipped, the rest go on;
4. every metric into ``main.metric_values`` (the long table);
5. the header tests (queries returning the bad rows) into ``main.build_tests``;
6. the manifest (``main.build_manifest``, ``main.build_objects``);

then CHECKPOINT, close, ``os.replace`` onto ``settings.warehouse_path`` and write
``<warehouse>.manifest.json``. A reader holding the old file keeps it (POSIX keeps the inode);
the next reader opens the new one; nobody sees a half-built file.

>>> make_build_id(dt.datetime(2026, 11, 22, 2, 45, 1), "3f2a9c1b")
'B20261122T024501-3f2a9c1b'
"""

from __future__ import annotations

from outcomes.errors import OutcomesError

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from outcomes.build import incremental as incremental_build
from outcomes.store import sqlfunctions
from outcomes.roi.assumptions import copy_register_into
from outcomes.build.alerts import write_alerts
from outcomes.build.definitions import write_definitions
from outcomes.core.headers import HeaderTest, HeaderTestName, MetricHeader
from outcomes.roi.ledger import build_ledger
from outcomes.core.registry import (
    OBJECT_KIND,
    BrokenDefinition,
    Registry,
    RegistryError,
    SqlDefinition,
    is_view,
    load_registry,
)
from outcomes.config import Settings
from outcomes.build.state_copy import copy_state_into

Progress = Callable[[str], None]
STAGING_DATA = "staging_data"  # the materialised rows behind the staging views

METRIC_VALUES_DDL = """
create table main.metric_values (
    metric varchar not null,
    week_start date,
    dimensions varchar not null,
    value double,
    numerator double,
    denominator double,
    flag varchar,
    extras varchar not null
)"""

MANIFEST_DDL = (
    """create table main.build_manifest (
        build_id varchar, started_at timestamp, finished_at timestamp, status varchar,
        sql_dir varchar, settings json, raw_fingerprint varchar, version varchar)""",
    """create table main.build_objects (
        build_id varchar, name varchar, kind varchar, path varchar, sql_sha256 varchar,
        rows bigint, duration_ms double, status varchar, error varchar,
        depends_on varchar[], load_ids varchar[])""",
    """create table main.build_tests (
        build_id varchar, name varchar, test varchar, status varchar, failing_rows bigint,
        message varchar)""",
)


class BuildError(OutcomesError, RuntimeError):
    """The build could not start or finish; nothing was swapped in."""


class RawStoreMissing(BuildError, FileNotFoundError):
    """No raw store, or one without raw tables."""


@dataclass(frozen=True)
class ObjectResult:
    """One staging view, metric or ROI table of a build (a row of ``main.build_objects``)."""

    name: str
    kind: str  # staging | metric | roi
    path: str
    sql_sha256: str
    rows: int | None
    duration_ms: float
    status: str  # ok | failed | skipped
    error: str | None
    depends_on: tuple[str, ...]
    load_ids: tuple[str, ...]

    @property
    def qualified(self) -> str:
        schema = {v: k for k, v in OBJECT_KIND.items()}[self.kind]
        return f"{schema}.{self.name}"


@dataclass(frozen=True)
class HeaderTestResult:
    """One header test of a build (a row of ``main.build_tests``)."""

    name: str
    test: str
    status: str  # pass | fail | error
    failing_rows: int | None
    message: str


@dataclass(frozen=True)
class BuildResult:
    build_id: str
    path: Path
    status: str  # ok | failed
    objects: tuple[ObjectResult, ...]
    tests: tuple[HeaderTestResult, ...]
    duration: float  # seconds
    started_at: dt.datetime
    finished_at: dt.datetime
    manifest_path: Path

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def object(self, name: str) -> ObjectResult:
        for o in self.objects:
            if name in (o.name, o.qualified):
                return o
        raise KeyError(name)


def make_build_id(now: dt.datetime | None = None, suffix: str | None = None) -> str:
    """``B<UTC yyyymmddThhmmss>-<8 hex>``; sorts by time."""
    now = now or _utcnow()
    return f"B{now:%Y%m%dT%H%M%S}-{suffix or secrets.token_hex(4)}"


def manifest_json_path(settings: Settings) -> Path:
    """``<warehouse>.manifest.json``, the manifest of the current snapshot as JSON."""
    return Path(f"{settings.warehouse_path}.manifest.json")


def build_snapshot(
    settings: Settings,
    progress: Progress | None = None,
    only: Iterable[str] | None = None,
    incremental: bool = False,
) -> BuildResult:
    """Build a new snapshot and swap it in; returns what was built and how it went.

    ``incremental``: start from the current snapshot and recompute only what new loads touched
    (:mod:`outcomes.build.incremental`); falls back to a full build when that snapshot cannot serve.

    ``only`` limits the build to these definitions (names or ``schema.name``) and what they
    read. Raises :class:`RawStoreMissing` when there is nothing to build from and
    :class:`BuildError` when the SQL folder cannot be read; a failing definition does not
    raise: it is ``failed`` in the result (``status == "failed"``).
    """
    say = progress or (lambda message: None)
    started = _utcnow()
    clock = time.perf_counter()
    build_id = make_build_id(started)
    try:
        registry = load_registry(settings.sql_dir, strict=False)
    except RegistryError as exc:
        raise BuildError(str(exc)) from exc
    order = _selected(registry, only)
    raw_path = Path(settings.raw_path)
    if not raw_path.exists():
        raise RawStoreMissing(
            f"no raw store at {raw_path}: nothing to build from; run `outcomes demo` "
            "(demo data) or `outcomes ingest <file> --table <table>` first"
        )
    target = Path(settings.warehouse_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.stem}-{build_id}.duckdb.tmp"
    plan = incremental_build.plan(settings, registry, say) if incremental and only is None else None
    try:
        if plan is not None:
            incremental_build.clone(plan, tmp)
        else:
            _copy_raw_file(settings, tmp)
    except BaseException:  # a full disk or an interrupt: no half-copied file left behind
        _remove_tmp(tmp)
        raise
    con = duckdb.connect(str(tmp))
    try:
        con.execute("set TimeZone = 'UTC'")
        if plan is not None:
            incremental_build.prepare(con)
            raw_counts = incremental_build.append_raw(con, settings, plan)
        else:
            raw_counts = _adopt_raw(con, settings)
        raw_counts.update(copy_state_into(con, settings))
        say(copy_register_into(con, settings).summary())
        say(f"raw: {len(raw_counts)} tables, {sum(raw_counts.values()):,} rows copied")
        if not any(n for t, n in raw_counts.items() if t not in ("loads", "quarantine")):
            say(
                "raw store holds no rows yet: the snapshot will be empty "
                "(run `outcomes demo` or `outcomes ingest`)"
            )
        sqlfunctions.install(con, settings, as_of=f"{started:%Y-%m-%d %H:%M:%S}")
        for schema in OBJECT_KIND:
            con.execute(f"create schema if not exists {schema}")
        if plan is None:
            con.execute(METRIC_VALUES_DDL)
        for ddl in MANIFEST_DDL:
            con.execute(ddl)

        if plan is not None:
            objects = incremental_build.build_objects(
                con, registry, order, say, plan, _materialise, _long_insert
            )
        else:
            objects = _build_objects(con, registry, order, say)
        incremental_build.write_reuse(con, build_id, objects, plan)
        tests = _run_tests(con, registry, objects, say)
        write_definitions(con, registry)
        write_alerts(con, registry)
        ledger = build_ledger(con, registry, settings) if only is None else None
        if ledger is not None:
            say(ledger.summary())
            for error in ledger.errors:
                say(f"ledger: {error}")
        status = "ok" if all(o.status == "ok" for o in objects) else "failed"
        if ledger is not None and not ledger.ok:
            status = "failed"
        finished = _utcnow()
        _write_manifest(con, settings, build_id, started, finished, status, objects, tests)
        con.execute("checkpoint")
        con.close()
        _fsync(tmp)
        _swap(tmp, target)
    except BaseException:
        con.close()
        _remove_tmp(tmp)
        raise
    result = BuildResult(
        build_id=build_id,
        path=target,
        status=status,
        objects=tuple(objects),
        tests=tuple(tests),
        duration=time.perf_counter() - clock,
        started_at=started,
        finished_at=finished,
        manifest_path=manifest_json_path(settings),
    )
    _write_manifest_json(settings, result)
    say(f"build {build_id}: {status} in {result.duration:.2f} s -> {target}")
    return result


def _selected(registry: Registry, only: Iterable[str] | None) -> list[str]:
    if only is None:
        return list(registry.order)
    wanted: set[str] = set()
    for name in only:
        try:
            q = registry.resolve(name)
        except KeyError as exc:
            raise BuildError(str(exc.args[0])) from exc
        wanted.add(q)
        wanted.update(registry.upstream(q))
    return [q for q in registry.order if q in wanted]


def _copy_raw_file(settings: Settings, tmp: Path) -> None:
    """Copy the raw store file (and its WAL, if a writer left one) to ``tmp``, under the raw
    store's shared lock, so the copy holds whole loads only."""
    from outcomes.store.raw import raw_lock

    raw_path = Path(settings.raw_path)
    with raw_lock(settings, exclusive=False):
        shutil.copyfile(raw_path, tmp)
        # the WAL and any file DuckDB keeps beside it (a checkpoint cut short by a crash)
        for wal in sorted(raw_path.parent.glob(f"{raw_path.name}.wal*")):
            shutil.copyfile(wal, f"{tmp}{wal.name[len(raw_path.name) :]}")


def _remove_tmp(tmp: Path) -> None:
    for leftover in (tmp, *tmp.parent.glob(f"{tmp.name}.wal*")):
        leftover.unlink(missing_ok=True)


def _adopt_raw(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """Keep schema ``raw`` of the copied raw store (drop anything else); rows per raw table."""
    from outcomes.store.raw import ensure_schema

    for (schema,) in con.execute(
        "select schema_name from duckdb_schemas() where database_name = current_database() "
        "and not internal and schema_name not in ('raw', 'main') order by 1"
    ).fetchall():
        con.execute(f"drop schema {_ident(schema)} cascade")
    for kind, name in con.execute(
        "select 'view', view_name from duckdb_views() "
        "where database_name = current_database() and not internal and schema_name = 'main' "
        "union all select 'table', table_name from duckdb_tables() "
        "where database_name = current_database() and schema_name = 'main' order by all"
    ).fetchall():
        con.execute(f"drop {kind} if exists main.{_ident(name)}")
    tables = [
        t
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'raw' order by table_name"
        ).fetchall()
    ]
    if not tables:
        raise RawStoreMissing(
            f"the raw store {settings.raw_path} has no raw tables; run `outcomes demo` "
            "(demo data) or `outcomes ingest <file> --table <table>` first"
        )
    ensure_schema(con)  # contract tables an older raw store lacks exist, empty
    return {t: _scalar(con, f"select count(*) from raw.{_ident(t)}") for t in tables}


def _build_objects(
    con: duckdb.DuckDBPyConnection, registry: Registry, order: list[str], say: Progress
) -> list[ObjectResult]:
    results: dict[str, ObjectResult] = {}
    load_id_cache: dict[str, tuple[str, ...]] = {}
    for q in order:
        item: SqlDefinition | BrokenDefinition = registry.definitions.get(q) or registry.broken[q]
        depends_on = registry.depends_on(q)
        load_ids = _load_ids(con, registry.raw_tables(q), load_id_cache)
        started = time.perf_counter()
        rows: int | None = None
        error: str | None = None
        if isinstance(item, BrokenDefinition):
            status, error = "failed", f"invalid definition: {item.message}"
        else:
            blocked = [d for d in depends_on if d in results and results[d].status != "ok"]
            blocked += [d for d in depends_on if d not in results and d in registry.broken]
            if blocked:
                status = "skipped"
                error = "skipped: depends on " + ", ".join(
                    f"{d} ({results[d].status if d in results else 'failed'})" for d in blocked
                )
            else:
                try:
                    rows = _materialise(con, item)
                    status = "ok"
                except duckdb.Error as exc:
                    status, error = "failed", _error_text(exc, item)
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
            load_ids=load_ids,
        )
        detail = f"{rows:,} rows" if rows is not None else error or "a view, rows not counted"
        say(f"{q}: {status} ({detail}, {duration_ms:.0f} ms)")
    return list(results.values())


def _materialise(con: duckdb.DuckDBPyConnection, d: SqlDefinition) -> int | None:
    """Create the view or table of ``d`` (and its long-table rows); returns its row count
    (None for a staging view, whose rows are not counted: that would run its SQL once more)."""
    target = f"{d.schema}.{_ident(d.name)}"
    if d.schema == "staging" and is_view(d):
        # tagged `view`: big and read by few metrics, so re-reading its SQL is cheaper than
        # writing its rows (ai_features at 10M events: 120M rows, 35 s to write, ~2 s per read)
        con.execute(f"create view {target} as\n{d.body_sql}\n")
        return None
    if d.schema == "staging":
        # Materialised once in staging_data.<name>, with staging.<name> a view over it: every
        # metric reads staging, and a view over the SQL itself would redo its dedupe and joins
        # for each of them (1M events: 257 s that way). A failing one leaves nothing behind.
        data = f"{STAGING_DATA}.{_ident(d.name)}"
        con.execute(f"create schema if not exists {STAGING_DATA}")
        con.execute(f"create table {data} as\n{d.body_sql}\n")
        con.execute(f"create view {target} as select * from {data}")
        return _scalar(con, f"select count(*) from {data}")
    con.execute("begin transaction")
    try:
        con.execute(f"create table {target} as\n{d.body_sql}\n")
        if d.schema == "metrics":
            con.execute(_long_insert(d))
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return _scalar(con, f"select count(*) from {target}")


def _long_insert(d: SqlDefinition) -> str:
    """INSERT of a metric's rows into main.metric_values (canonical JSON, sorted keys)."""
    assert isinstance(d.header, MetricHeader) and d.columns is not None
    columns = set(d.columns)
    dims = sorted(d.header.dimensions)
    # null dimension values mean "all" (grouping-set totals): their keys are left out, so the
    # all-dimensions total is '{}'
    dimensions = (
        "to_json(map_from_entries(list_filter(["
        + ", ".join(f"{{'k': {_literal(c)}, 'v': {_ident(c)}::varchar}}" for c in dims)
        + "], lambda x: x.v is not null)))::varchar"
        if dims
        else "'{}'"
    )
    extras = sorted(d.extra_columns)
    extras_sql = (
        "json_object(" + ", ".join(f"{_literal(c)}, {_ident(c)}" for c in extras) + ")::varchar"
        if extras
        else "'{}'"
    )

    def optional(column: str, cast: str) -> str:
        return f"{_ident(column)}::{cast}" if column in columns else f"null::{cast}"

    return (
        "insert into main.metric_values select "
        f"{_literal(d.name)}, week_start::date, {dimensions}, value::double, "
        f"{optional('numerator', 'double')}, {optional('denominator', 'double')}, "
        f"{optional('flag', 'varchar')}, {extras_sql} "
        f"from metrics.{_ident(d.name)}"
    )


def failing_rows_query(relation: str, test: HeaderTest) -> str:
    """The query that returns the rows failing ``test`` (zero rows = pass).

    >>> print(failing_rows_query("metrics.accuracy", HeaderTest.parse("range(value, 0, 1)")))
    SELECT * FROM metrics.accuracy WHERE "value" < 0 OR "value" > 1
    """
    cols = [exp.column(c, quoted=True) for c in test.columns]
    table = exp.to_table(relation)
    if test.test is HeaderTestName.not_null:
        condition = exp.or_(*[c.is_(exp.null()) for c in cols])
        query = exp.select("*").from_(table).where(condition)
    elif test.test is HeaderTestName.unique:
        query = (
            exp.select(*cols, exp.alias_(exp.func("count", exp.Star()), "n"))
            .from_(table)
            .group_by(*cols)
            .having(exp.func("count", exp.Star()) > 1)
        )
    elif test.test is HeaderTestName.range:
        lo, hi = test.args
        conditions: list[exp.Expression] = []
        if lo is not None:
            conditions.append(cols[0] < exp.convert(lo))
        if hi is not None:
            conditions.append(cols[0] > exp.convert(hi))
        query = exp.select("*").from_(table).where(exp.or_(*conditions))
    else:
        values = [exp.convert(v) for v in test.args[0]]
        condition = exp.and_(cols[0].is_(exp.null()).not_(), exp.not_(cols[0].isin(*values)))
        query = exp.select("*").from_(table).where(condition)
    return query.sql("duckdb")


def _run_tests(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    objects: list[ObjectResult],
    say: Progress,
) -> list[HeaderTestResult]:
    results = []
    for o in objects:
        if o.status != "ok":
            continue  # the object's own failure is already recorded
        d = registry.definitions[o.qualified]
        for test in d.header.tests:
            query = failing_rows_query(d.qualified, test)
            try:
                failing = _scalar(con, f"select count(*) from ({query})")
            except duckdb.Error as exc:
                results.append(HeaderTestResult(d.name, test.text, "error", None, _error_text(exc)))
                continue
            if failing:
                message = (
                    f"{failing:,} failing row{'s' if failing != 1 else ''}; see them with: {query}"
                )
                results.append(HeaderTestResult(d.name, test.text, "fail", failing, message))
            else:
                results.append(HeaderTestResult(d.name, test.text, "pass", 0, ""))
            if results[-1].status != "pass":
                say(f"test {d.qualified} {test.text}: {results[-1].status}")
    counts = Counter(t.status for t in results)
    say("tests: " + ", ".join(f"{counts[k]} {k}" for k in ("pass", "fail", "error")))
    return results


def _load_ids(
    con: duckdb.DuckDBPyConnection, raw_tables: Iterable[str], cache: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    found: set[str] = set()
    for ref in raw_tables:
        if ref not in cache:
            table = ref.split(".", 1)[1]
            columns = raw_columns(con, table)
            column = (
                "_load_id"
                if "_load_id" in columns
                else "load_id"
                if table == "quarantine"
                else None
            )
            cache[ref] = (
                tuple(
                    r[0]
                    for r in con.execute(
                        f"select distinct {column} from raw.{_ident(table)} where {column} is not null order by 1"
                    ).fetchall()
                )
                if column
                else ()
            )
        found.update(cache[ref])
    return tuple(sorted(found))


def _write_manifest(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    build_id: str,
    started: dt.datetime,
    finished: dt.datetime,
    status: str,
    objects: list[ObjectResult],
    tests: list[HeaderTestResult],
) -> None:
    fingerprint_rows = con.execute(
        "select load_id, coalesce(file_sha256, '') from raw.loads order by 1, 2"
    ).fetchall()
    fingerprint = hashlib.sha256(
        "\n".join(f"{a}:{b}" for a, b in fingerprint_rows).encode()
    ).hexdigest()
    con.execute(
        "insert into main.build_manifest values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            build_id,
            started,
            finished,
            status,
            str(settings.sql_dir),
            settings.model_dump_json(),
            fingerprint,
            _version(),
        ],
    )
    if objects:
        con.executemany(
            "insert into main.build_objects values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    build_id,
                    o.name,
                    o.kind,
                    o.path,
                    o.sql_sha256,
                    o.rows,
                    o.duration_ms,
                    o.status,
                    o.error,
                    list(o.depends_on),
                    list(o.load_ids),
                ]
                for o in objects
            ],
        )
    if tests:
        con.executemany(
            "insert into main.build_tests values (?, ?, ?, ?, ?, ?)",
            [[build_id, t.name, t.test, t.status, t.failing_rows, t.message] for t in tests],
        )


def _write_manifest_json(settings: Settings, result: BuildResult) -> None:
    path = manifest_json_path(settings)
    document = {
        "build_id": result.build_id,
        "status": result.status,
        "started_at": result.started_at.isoformat(sep=" "),
        "finished_at": result.finished_at.isoformat(sep=" "),
        "duration_s": round(result.duration, 3),
        "warehouse": str(result.path),
        "sql_dir": str(settings.sql_dir),
        "version": _version(),
        "objects": [asdict(o) for o in result.objects],
        "tests": [asdict(t) for t in result.tests],
    }
    tmp = path.with_name(f".{path.name}-{result.build_id}.tmp")
    tmp.write_text(json.dumps(document, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def _swap(tmp: Path, target: Path) -> None:
    # A WAL left by someone who opened the warehouse read-write would be replayed onto the
    # new file; the snapshot is never written after the swap, so any WAL there is stale.
    Path(f"{target}.wal").unlink(missing_ok=True)
    if Path(f"{tmp}.wal").exists():
        raise BuildError(
            f"{tmp}.wal still exists after CHECKPOINT; the snapshot was not swapped in"
        )
    os.replace(tmp, target)
    _fsync_dir(target.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The column names of ``raw.<table>`` in the current database (empty when it is missing)."""
    return {
        c
        for (c,) in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'raw' and table_name = ?",
            [table],
        ).fetchall()
    }


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchall()[0][0]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_CANDIDATES = re.compile(r"\s*Candidate functions:.*?(?=LINE \d+:|$)", re.S)
_LINE = re.compile(r"LINE (\d+):")


def _error_text(exc: Exception, d: SqlDefinition | None = None) -> str:
    """DuckDB's message on one line, without the candidate list; LINE n becomes the file line."""
    text = _CANDIDATES.sub(" ", str(exc))
    if d is not None:
        # The statement ran as "create ... as\n<body_sql>": its line 2 is body_sql's line 1.
        text = _LINE.sub(
            lambda m: f"at {Path(d.path).name} line {d.body_line + int(m.group(1)) - 2}:", text
        )
    text = " ".join(text.split())
    return text if len(text) <= 1000 else text[:997] + "..."


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("outcomes")
    except PackageNotFoundError:
        return "0.1.0"
