"""Assumption changes: a new value of an ROI assumption from a date on; nothing is overwritten.

>>> import tempfile
>>> from pathlib import Path
>>> register = AssumptionChanges(Path(tempfile.mkdtemp()) / "state.sqlite")
>>> register.record_assumption_change("analyst_hourly_cost", date(2024, 1, 1), Decimal("55"),
...                                   Decimal("61.50"), "usd/hour", "cfo@example.com", "2024 rates")
1
>>> register.assumption_changes()[0].new_value
Decimal('61.50')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from outcomes.store.state_access import StateAccess
from outcomes.store.state_audit import write_audit_entry
from outcomes.store.state_file import insert_row
from outcomes.store.state_values import (
    decimal_value,
    required_text,
    week_date,
)


@dataclass(frozen=True, slots=True)
class AssumptionChange:
    """One recorded change of an assumption's value."""

    id: int
    key: str
    effective_from: date
    old_value: Decimal | None
    new_value: Decimal
    unit: str
    author: str
    why: str
    created_at: datetime
    system: str | None = None  # the AI system it is for; None: the company-wide value


def assumption_entity_key(key: str, system: str | None, effective_from: str) -> str:
    """The audit log's entity_key of an assumption change: ``key@date``, or ``key[system]@date``.

    >>> assumption_entity_key("x", None, "2026-01-05"), assumption_entity_key("x", "a", "2026-01-05")
    ('x@2026-01-05', 'x[a]@2026-01-05')
    """
    return f"{key}@{effective_from}" if system is None else f"{key}[{system}]@{effective_from}"


class AssumptionChanges(StateAccess):
    """Recording and reading changes of assumption values."""

    def record_assumption_change(
        self,
        key: str,
        effective_from: date,
        old_value: Decimal | int | str | None,
        new_value: Decimal | int | str,
        unit: str,
        author: str,
        why: str,
        system: str | None = None,
    ) -> int:
        """Record a change of an assumption's value from ``effective_from`` (of one AI
        ``system``; None: the company-wide value); nothing is overwritten."""
        key = required_text(key, "key")
        system = None if system is None else required_text(system, "system")
        effective = week_date(effective_from, "effective_from").isoformat()
        old = None if old_value is None else decimal_value(old_value, "old_value")
        new = decimal_value(new_value, "new_value")
        unit = required_text(unit, "unit")
        author = required_text(author, "author")
        why = required_text(why, "why")
        old_text = None if old is None else str(old)
        detail = {
            "effective_from": effective,
            "old_value": old_text,
            "new_value": str(new),
            "unit": unit,
            "why": why,
        }
        with self._write() as (conn, at):
            row = {"key": key, **detail, "author": author, "created_at": at, "system": system}
            new_id = insert_row(conn, "assumption_changes", row)
            entity_key = assumption_entity_key(key, system, effective)
            write_audit_entry(conn, at, author, "change", "assumption", entity_key, detail)
        return new_id

    def assumption_changes(self, key: str | None = None) -> list[AssumptionChange]:
        """Every assumption change (of one key), in the order they were recorded."""
        where, args = (["key = ?"], [key]) if key is not None else ([], [])
        return self._fetch(
            AssumptionChange,
            "assumption_changes",
            where,
            args,
            "id",
            old_value=lambda text: None if text is None else Decimal(text),
            new_value=Decimal,
        )
