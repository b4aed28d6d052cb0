"""The audit log's hash chain (issue 12): every entry linked to the one before; an entry or an
assumption change edited behind the triggers' back is named by `outcomes audit verify`, and the
build refuses the assumption changes."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from outcomes import cli
from outcomes.build.full import build_snapshot
from outcomes.roi.assumption_versions import AssumptionsError
from outcomes.roi.assumptions import recorded_changes
from outcomes.store.audit_chain import GENESIS, entry_hash, verify_audit_log
from outcomes.store.state import StateStore
from outcomes.store.state_schema import apply_migrations
from tests.roifixtures import make_project


def _store(tmp_path: Path) -> StateStore:
    store = StateStore(tmp_path / "state.sqlite")
    store.add_annotation(date(2024, 3, 4), "model v2 deployed", "deploy", "ana@example.com")
    store.record_assumption_change(
        "analyst_hourly_cost",
        date(2024, 1, 1),
        Decimal("55"),
        Decimal("61.50"),
        "usd/hour",
        "cfo@example.com",
        "2024 rates",
    )
    store.log("ana@example.com", "edit_sql", "metric", "accuracy", {"diff": "+1 line"})
    return store


def _behind_the_triggers(path: Path, table: str, statement: str, args: tuple = ()) -> None:
    """Drop the append-only trigger, change a row, recreate the trigger: what an attacker with
    the file would do."""
    conn = sqlite3.connect(path)
    try:
        kind = "update" if statement.lstrip().lower().startswith("update") else "delete"
        name = f"{table}_no_{kind}"
        (sql,) = conn.execute(
            "select sql from sqlite_master where type = 'trigger' and name = ?", (name,)
        ).fetchone()
        conn.execute(f"drop trigger {name}")
        conn.execute(statement, args)
        conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def test_every_entry_links_to_the_one_before(tmp_path: Path) -> None:
    store = _store(tmp_path)
    conn = sqlite3.connect(store.path)
    rows = conn.execute(
        "select prev_hash, entry_hash, at, actor, action, entity, entity_key, detail "
        "from audit_log order by id"
    ).fetchall()
    prev = GENESIS
    for stored_prev, stored_hash, *content in rows:
        assert stored_prev == prev
        assert stored_hash == entry_hash(prev, *content)
        prev = stored_hash
    verdict = verify_audit_log(store.path)
    assert verdict.ok and verdict.entries == 3 and verdict.head == prev


def test_an_entry_without_hashes_cannot_be_appended(tmp_path: Path) -> None:
    store = _store(tmp_path)
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="prev_hash and entry_hash"):
        conn.execute(
            "insert into audit_log (at, actor, action, entity, entity_key, detail) "
            "values ('2024-01-01T00:00:00.000000Z', 'eve', 'add', 'x', '1', '{}')"
        )


def test_migrating_an_older_file_chains_its_existing_entries(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    apply_migrations(path, up_to=6)
    conn = sqlite3.connect(path)
    for k in range(3):
        conn.execute(
            "insert into audit_log (at, actor, action, entity, entity_key, detail) "
            "values (?, 'ana', 'add', 'annotation', ?, '{}')",
            (f"2024-01-0{k + 1}T00:00:00.000000Z", str(k)),
        )
    conn.commit()
    conn.close()
    store = StateStore(path)  # migrates forward
    assert verify_audit_log(store.path).entries == 3
    store.log("ana", "edit_sql", "metric", "m", {})
    assert verify_audit_log(store.path).entries == 4


def test_an_edited_entry_is_named_and_the_build_refuses(tmp_path: Path, capsys) -> None:
    settings = make_project(tmp_path)  # records one assumption change through the CLI path
    assert recorded_changes(settings)
    (entry_id,) = (
        sqlite3.connect(settings.state_path)
        .execute("select id from audit_log where entity = 'assumption'")
        .fetchone()
    )
    _behind_the_triggers(
        settings.state_path,
        "audit_log",
        "update audit_log set detail = json_set(detail, '$.new_value', '999') where id = ?",
        (entry_id,),
    )
    verdict = verify_audit_log(settings.state_path)
    assert verdict.entry_id == entry_id
    assert f"entry {entry_id} (change assumption" in verdict.problem

    assert _cli(["audit", "verify"], settings) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"entry {entry_id}" in err[0], err

    with pytest.raises(AssumptionsError, match=f"entry {entry_id}"):
        build_snapshot(settings)
    assert _cli(["build"], settings) == 2
    assert f"entry {entry_id}" in capsys.readouterr().err


def test_an_edited_assumption_change_is_named_and_the_build_refuses(tmp_path: Path) -> None:
    settings = make_project(tmp_path)
    _behind_the_triggers(
        settings.state_path,
        "assumption_changes",
        "update assumption_changes set new_value = '999' where id = 1",
    )
    verdict = verify_audit_log(settings.state_path)
    assert not verdict.ok and verdict.problem.startswith("assumption change 1 (")
    with pytest.raises(AssumptionsError, match="assumption change 1"):
        build_snapshot(settings)
    with pytest.raises(AssumptionsError):
        recorded_changes(settings)


def test_a_removed_entry_breaks_the_link_of_the_next(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _behind_the_triggers(store.path, "audit_log", "delete from audit_log where id = 2")
    verdict = verify_audit_log(store.path)
    assert verdict.entry_id == 3 and "does not link" in verdict.problem


def test_audit_verify_passes_on_an_intact_store(tmp_path: Path, capsys) -> None:
    settings = make_project(tmp_path)
    assert _cli(["audit", "verify"], settings) == 0
    assert capsys.readouterr().out.startswith("audit log verifies: ")


def _cli(argv: list[str], settings) -> int:
    from unittest import mock

    with mock.patch("outcomes.cli.get_settings", return_value=settings):
        return cli.main(argv)
