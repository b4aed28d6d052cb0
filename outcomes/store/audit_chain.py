"""The audit log's hash chain: hashing an entry, and verifying the chain and the records it
vouches for.

Each entry's ``entry_hash`` is the SHA-256 of the previous entry's hash and its own stored
text, so an entry edited, removed or slipped in (with the append-only triggers dropped and
recreated around it) breaks the link at that entry. :func:`verify_audit_log` walks the chain
oldest first and names the first broken link; it also checks that every assumption change,
which the build turns into ledger rows, still matches the audit entry written with it.

What it cannot see: someone with write access to the file who recomputes every hash after
their edit. The chain head (:attr:`AuditVerdict.head`, printed by ``outcomes audit verify``)
kept elsewhere, e.g. in each closed period's record, is what catches that.

>>> import sqlite3
>>> conn = sqlite3.connect(":memory:")
>>> verify_chain(conn.execute("select 1 where 0").fetchall()).ok
True
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from outcomes.store.state_file import connect_state

GENESIS = "0" * 64  # the prev_hash of the first entry

_CONTENT = "at, actor, action, entity, entity_key, detail"


def entry_hash(
    prev_hash: str, at: str, actor: str, action: str, entity: str, entity_key: str, detail: str
) -> str:
    """SHA-256 (hex) of an entry's canonical content: the previous hash and its stored text.

    >>> entry_hash(GENESIS, "2024-01-01T00:00:00.000000Z", "ana", "add", "x", "1", "{}")[:12]
    'b853f90739c0'
    """
    canonical = json.dumps(
        [prev_hash, at, actor, action, entity, entity_key, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chain_head(conn: sqlite3.Connection) -> str:
    """The newest entry's ``entry_hash`` (:data:`GENESIS` for an empty log)."""
    row = conn.execute("select entry_hash from audit_log order by id desc limit 1").fetchone()
    return GENESIS if row is None or row[0] is None else str(row[0])


@dataclass(frozen=True)
class AuditVerdict:
    """What :func:`verify_audit_log` found; ``problem`` names the first broken link."""

    entries: int
    head: str
    problem: str | None = None
    entry_id: int | None = None  # the entry (or assumption change) named in ``problem``

    @property
    def ok(self) -> bool:
        return self.problem is None

    def line(self) -> str:
        """One line for people."""
        if self.problem:
            return f"audit log does NOT verify: {self.problem}"
        return f"audit log verifies: {self.entries} entries, chain head {self.head}"


def verify_chain(rows: Iterable[Sequence[object]]) -> AuditVerdict:
    """Walk ``(id, prev_hash, entry_hash, at, actor, action, entity, entity_key, detail)``
    rows in id order; the first link that does not hold ends the walk."""
    prev, count = GENESIS, 0
    for row in rows:
        row_id, stored_prev, stored_hash, *content = row
        what = f"entry {row_id} ({content[2]} {content[3]} {content[4]} by {content[1]})"
        if stored_prev != prev:
            return AuditVerdict(
                count,
                prev,
                f"{what} does not link to the entry before it: an entry was removed, "
                "inserted or changed before it",
                int(row_id),  # type: ignore[call-overload]
            )
        if stored_hash != entry_hash(prev, *content):  # type: ignore[arg-type]
            return AuditVerdict(
                count,
                prev,
                f"{what} was changed after it was written: its content does not match its hash",
                int(row_id),  # type: ignore[call-overload]
            )
        prev, count = str(stored_hash), count + 1
    return AuditVerdict(count, prev)


def _unmatched_assumption_change(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """The first assumption change whose row no longer equals its audit entry."""
    entries = {
        (r[0], r[1], r[2], r[3])
        for r in conn.execute(
            "select entity_key, at, actor, detail from audit_log "
            "where entity = 'assumption' and action = 'change'"
        )
    }
    for r in conn.execute(
        "select id, key, effective_from, old_value, new_value, unit, author, why, created_at, "
        "system from assumption_changes order by id"
    ):
        detail = json.dumps(
            {
                "effective_from": r[2],
                "old_value": r[3],
                "new_value": r[4],
                "unit": r[5],
                "why": r[7],
            },
            sort_keys=True,
        )
        entity_key = f"{r[1]}@{r[2]}" if r[9] is None else f"{r[1]}[{r[9]}]@{r[2]}"
        if (entity_key, r[8], r[6], detail) not in entries:
            return int(r[0]), entity_key
    return None


def verify_audit_log(path: str | Path) -> AuditVerdict:
    """Verify the chain of the state store at ``path`` (migrated, e.g. opened with
    :class:`~outcomes.store.state.StateStore`), then every assumption change against its
    entry; the verdict names the first problem."""
    with connect_state(Path(path)) as conn:
        verdict = verify_chain(
            conn.execute(f"select id, prev_hash, entry_hash, {_CONTENT} from audit_log order by id")
        )
        if not verdict.ok:
            return verdict
        unmatched = _unmatched_assumption_change(conn)
    if unmatched is not None:
        change_id, key = unmatched
        return AuditVerdict(
            verdict.entries,
            verdict.head,
            f"assumption change {change_id} ({key}) does not match the audit entry written "
            "with it: the row was changed after it was recorded",
            change_id,
        )
    return verdict
