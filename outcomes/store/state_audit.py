"""The state store's audit log: one append-only entry per write, in the write's transaction.

Entries are hash-chained: each carries ``prev_hash`` (the previous entry's ``entry_hash``,
:data:`~outcomes.store.audit_chain.GENESIS` for the first) and ``entry_hash``, the SHA-256 of
``prev_hash`` and its own content. Editing, deleting or inserting a row anywhere breaks
every link after it, which :func:`outcomes.store.audit_chain.verify_audit_log` finds.

>>> import tempfile
>>> from pathlib import Path
>>> log = AuditLog(Path(tempfile.mkdtemp()) / "state.sqlite")
>>> log.log("ana", "edit", "metric", "accuracy", {"diff": "+1 line"})
1
>>> [(e.actor, e.detail) for e in log.audit_log(entity="metric")]
[('ana', {'diff': '+1 line'})]
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from outcomes.store.audit_chain import AuditVerdict, chain_head, entry_hash, verify_audit_log
from outcomes.store.state_access import StateAccess
from outcomes.store.state_file import StateValidationError, insert_row
from outcomes.store.state_values import required_text


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit log entry; ``detail`` is its JSON, parsed."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_key: str
    detail: dict[str, Any]


def write_audit_entry(
    conn: sqlite3.Connection,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_key: str,
    detail: Mapping[str, Any],
) -> int:
    """Append one audit entry, chained to the newest, inside the caller's write transaction
    (which holds the write lock, so no other entry can slip in between); return its id."""
    if not isinstance(detail, Mapping):
        raise StateValidationError(f"detail must be a dict, got {type(detail).__name__}")
    try:
        detail_json = json.dumps(dict(detail), sort_keys=True, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise StateValidationError(f"detail is not JSON-serialisable: {exc}") from exc
    prev = chain_head(conn)
    return insert_row(
        conn,
        "audit_log",
        {
            "at": at,
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_key": entity_key,
            "detail": detail_json,
            "prev_hash": prev,
            "entry_hash": entry_hash(prev, at, actor, action, entity, entity_key, detail_json),
        },
    )


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in detail")


class AuditLog(StateAccess):
    """Appending to and reading the audit log."""

    def log(
        self, actor: str, action: str, entity: str, entity_key: str, detail: Mapping[str, Any]
    ) -> int:
        """Append one audit entry (e.g. a metric SQL edit with its diff); return its id."""
        actor = required_text(actor, "actor")
        action = required_text(action, "action")
        entity = required_text(entity, "entity")
        entity_key = required_text(entity_key, "entity_key")
        with self._write() as (conn, at):
            return write_audit_entry(conn, at, actor, action, entity, entity_key, detail)

    def verify_audit(self) -> AuditVerdict:
        """Walk the hash chain and check each assumption change against its entry
        (:func:`~outcomes.store.audit_chain.verify_audit_log`)."""
        return verify_audit_log(self.path)

    def audit_log(
        self, entity: str | None = None, limit: int | None = None, entity_key: str | None = None
    ) -> list[AuditEntry]:
        """Audit entries (of one entity, one key), newest first, at most ``limit``."""
        where: list[str] = []
        args: list[object] = []
        if entity is not None:
            where.append("entity = ?")
            args.append(entity)
        if entity_key is not None:
            where.append("entity_key = ?")
            args.append(entity_key)
        order = "id desc"
        if limit is not None:
            if limit < 0:
                raise StateValidationError(f"limit must be >= 0, got {limit}")
            order += f" limit {int(limit)}"
        return self._fetch(AuditEntry, "audit_log", where, args, order, detail=json.loads)
