"""``outcomes build``: a new snapshot file, built beside the warehouse and swapped in atomically.

Steps, in one DuckDB file ``.<warehouse>-<build_id>.duckdb.tmp``:

1. start from a byte copy of the raw store file (under its shared lock): the small raw tables,
   ``raw.loads``, ``raw.quarantine``, ``raw.load_files`` and the views of the large tables over
   their load files (:mod:`outcomes.store.segments`: the rows stay in those files, the snapshot
   names them); anything outside schema ``raw`` is dropped;
2. macros, Python functions and ``main.build_settings`` (:mod:`outcomes.store.sqlfunctions`);
3. every definition in build order: ``sql/staging`` as views, ``sql/metrics`` and ``sql/roi``
   as tables; a failure is recorded and its dependents are skipped, the rest go on;
4. every metric into ``main.metric_values`` (the long table);
5. the header tests (queries returning the bad rows) into ``main.build_tests``;
6. the manifest (``main.build_manifest``, ``main.build_objects``);

then CHECKPOINT, close, ``os.replace`` onto ``settings.warehouse_path`` and write
``<warehouse>.manifest.json`` (:mod:`outcomes.build.swap`, :mod:`outcomes.build.manifest`).

The build's clock is explicit: ``as_of`` (else the ``build_as_of`` setting, else the real UTC
time) is the time it records and the ``setting('as_of')`` its SQL reads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterable
from pathlib import Path

import duckdb

from outcomes.build.alerts import write_alerts
from outcomes.build.calibration import CalibrationError, CalibrationStep
from outcomes.build.clock import build_clock
from outcomes.build.definitions import write_definitions
from outcomes.build.errors import BuildError, RawStoreMissing
from outcomes.build.failing_rows import run_header_tests
from outcomes.build.incremental import build_objects as build_changed
from outcomes.build.incremental import write_reuse
from outcomes.build.incremental_plan import append_raw, clone, prepare
from outcomes.build.incremental_plan import plan as plan_incremental
from outcomes.build.leftovers import claim_tmp, remove_leftovers, running_builds
from outcomes.build.manifest import MANIFEST_DDL, make_build_id, write_manifest, write_manifest_json
from outcomes.build.materialise import METRIC_VALUES_DDL, materialise, materialise_all
from outcomes.build.objects import BuildResult
from outcomes.build.raw_copy import adopt_raw, copy_raw_file, remove_tmp
from outcomes.build.staging_parts import PartsTarget, snapshot_part_folders
from outcomes.build.state_copy import copy_state_into
from outcomes.build.swap import swap_in
from outcomes.config import Settings
from outcomes.core.definition import OBJECT_KIND
from outcomes.core.progress import Progress
from outcomes.core.quoting import quote_literal
from outcomes.core.registry import Registry, RegistryError, load_registry
from outcomes.roi.assumptions import copy_register_into
from outcomes.roi.ledger_build import build_ledger
from outcomes.store.manifest_file import manifest_json_path
from outcomes.store.parts import (
    allowed_folders,
    check_parts,
    folders_of,
    listed,
    prune,
    remove_parts_of,
)
from outcomes.store.raw import bring_up_to_date
from outcomes.store.segments import allow_segments, check_files, fsync_path
from outcomes.store.snapshot import forget_earlier_builds, open_build_file
from outcomes.store.sqlfunctions import install


def build_snapshot(
    settings: Settings,
    progress: Progress | None = None,
    only: Iterable[str] | None = None,
    incremental: bool = False,
    as_of: dt.datetime | None = None,
    engine: str = "duckdb",
) -> BuildResult:
    """Build a new snapshot and swap it in; returns what was built and how it went.

    ``incremental``: start from the current snapshot and recompute only what new loads touched
    (:mod:`outcomes.build.incremental`); falls back to a full build when that snapshot cannot serve.

    ``only`` limits the build to these definitions (names or ``schema.name``) and what they
    read. ``as_of`` fixes the build's clock (default: ``settings.build_as_of``, else now).
    ``engine="spark"`` runs the definitions' SQL on Spark (``settings.spark``; always a full
    build): :mod:`outcomes.build.spark`.
    Raises :class:`RawStoreMissing` when there is nothing to build from and
    :class:`BuildError` when the SQL folder cannot be read; a failing definition does not
    raise: it is ``failed`` in the result (``status == "failed"``).
    """
    say = progress or (lambda message: None)
    clock = build_clock(as_of or settings.build_as_of)
    started = clock()
    timer = time.perf_counter()
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
    bring_up_to_date(settings)  # an older raw store's large tables move to load files first
    target = Path(settings.warehouse_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.stem}-{build_id}.duckdb.tmp"
    remove_leftovers(target)  # of killed builds; a running build holds the claim of its file
    _claim = claim_tmp(tmp)  # held until this function returns (or the process dies)
    if engine not in ("duckdb", "spark"):
        raise BuildError(f"unknown engine {engine!r}: duckdb or spark")
    full = engine == "spark" or not incremental or only is not None
    plan = None if full else plan_incremental(settings, registry, say)
    # Spark's rows come back as DuckDB tables; the DuckDB engine keeps key_local staging in parts
    parts = PartsTarget(settings, build_id) if engine == "duckdb" else None
    try:
        if plan is not None:
            clone(plan, tmp)
        else:
            copy_raw_file(settings, tmp)
    except BaseException:  # a full disk or an interrupt: no half-copied file left behind
        remove_tmp(tmp)
        raise
    con = open_build_file(tmp, settings)
    swapped = False
    try:
        _claim.note(folders_of(listed(con)))  # the base's parts: no concurrent build prunes them
        con.execute("set TimeZone = 'UTC'")
        if plan is not None:
            prepare(con)
            raw_counts = append_raw(con, settings, plan)
        else:
            raw_counts = adopt_raw(con, settings)
        raw_counts.update(copy_state_into(con, settings))
        say(copy_register_into(con, settings).summary())
        say(f"raw: {len(raw_counts)} tables, {sum(raw_counts.values()):,} rows copied")
        if not any(n for t, n in raw_counts.items() if t not in ("loads", "quarantine")):
            say(
                "raw store holds no rows yet: the snapshot will be empty "
                "(run `outcomes demo` or `outcomes ingest`)"
            )
        install(con, settings, as_of=f"{started:%Y-%m-%d %H:%M:%S}")
        for schema in OBJECT_KIND:
            con.execute(f"create schema if not exists {schema}")
        if plan is None:
            con.execute(METRIC_VALUES_DDL)
        for ddl in MANIFEST_DDL:
            con.execute(ddl)

        say(f"raw: {check_files(con, settings)} load files, each where the ledger says")
        allow_segments(con, settings)  # exactly those files, also with external access off
        if parts is not None:  # the parts it lists and its own, to read and write
            folders = allowed_folders(con, settings, build_id)
            con.execute(
                f"set allowed_directories = [{', '.join(quote_literal(f) for f in folders)}]"
            )
        if engine != "spark":  # Spark's raw export writes Parquet files; its SQL runs on Spark
            # defence in depth behind validate's allow-list: definitions reach no file or URL
            con.execute("set enable_external_access = false")
        # main.calibration (CBPE) is fitted in Python just before the first definition that
        # reads it, once the staging views it reads exist
        calibration = CalibrationStep(con, say)
        if plan is not None:
            objects = build_changed(
                con, registry, order, say, plan, before_each=calibration.before, parts=parts
            )
        elif engine == "spark":
            from outcomes.build.spark.spark_materialise import materialise_all_on_spark

            objects = materialise_all_on_spark(
                con, registry, order, say, settings, before=calibration.before
            )
        else:
            objects = materialise_all(
                con,
                registry,
                order,
                say,
                create=calibration.wrap(lambda item: materialise(con, item, parts)),
                failures=(duckdb.Error, CalibrationError),
            )
        write_reuse(con, build_id, objects, plan)
        tests = run_header_tests(con, registry, objects, say)
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
        finished = clock()
        write_manifest(con, settings, build_id, started, finished, status, objects, tests)
        check_parts(con, settings)  # every part it lists is there, as written
        kept = folders_of(listed(con))
        con.execute("checkpoint")
        con.close()
        fsync_path(tmp)
        # the snapshot it replaces (readers may hold it); None: unreadable, so prune nothing
        replaced = snapshot_part_folders(settings)
        swap_in(tmp, target)
        swapped = True
    except BaseException:
        con.close()
        if not swapped:
            remove_tmp(tmp)
            remove_parts_of(settings, build_id)  # never listed by a snapshot swapped in
        raise
    with contextlib.suppress(OSError):  # swapped in: a failure here is only disk kept
        forget_earlier_builds(target)  # their disk is freed once their last reader closes
        if replaced is not None:
            running = running_builds(target)
            keep = kept | replaced | set(running).union(*running.values())
            prune(settings, keep, set(running))
    result = BuildResult(
        build_id=build_id,
        path=target,
        status=status,
        objects=tuple(objects),
        tests=tuple(tests),
        duration=time.perf_counter() - timer,
        started_at=started,
        finished_at=finished,
        manifest_path=manifest_json_path(settings),
    )
    write_manifest_json(settings, result)
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
