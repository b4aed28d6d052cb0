"""The digest's delivery log: which week went to which recipient by which channel, once.

A ``(week, channel, recipient)`` is recorded only after the send succeeded, and the table
refuses a second row for it, so running the digest again never sends a week twice.

>>> import tempfile
>>> from pathlib import Path
>>> log = DigestDeliveries(Path(tempfile.mkdtemp()) / "state.sqlite")
>>> log.record_delivery(date(2024, 3, 4), "email", "ops@example.com", 3)
1
>>> log.delivered(date(2024, 3, 4), "email", "ops@example.com")
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from outcomes.store.state_access import StateAccess
from outcomes.store.state_audit import write_audit_entry
from outcomes.store.state_file import insert_row
from outcomes.store.state_values import parse_timestamp, required_text, week_date, week_range


@dataclass(frozen=True, slots=True)
class Delivery:
    """One digest sent, as stored."""

    id: int
    week_start: date
    channel: str
    recipient: str
    items: int
    sent_at: datetime


class DigestDeliveries(StateAccess):
    """Recording and reading the digest's deliveries."""

    def record_delivery(self, week_start: date, channel: str, recipient: str, items: int) -> int:
        """Record that the week's digest reached ``recipient`` by ``channel``; return the id."""
        week = week_date(week_start, "week_start").isoformat()
        recipient = required_text(recipient, "recipient")
        with self._write() as (conn, at):
            row = {
                "week_start": week,
                "channel": channel,
                "recipient": recipient,
                "items": int(items),
                "sent_at": at,
            }
            new_id = insert_row(conn, "digest_deliveries", row)
            detail = {"channel": channel, "recipient": recipient, "items": int(items)}
            write_audit_entry(conn, at, "digest", "deliver", "digest", week, detail)
        return new_id

    def delivered(self, week_start: date, channel: str, recipient: str) -> bool:
        """Whether the week's digest already reached ``recipient`` by ``channel``."""
        where, args = week_range("week_start", week_start, week_start)
        rows = self._select(
            "digest_deliveries",
            [*where, "channel = ?", "recipient = ?"],
            [*args, channel, recipient],
            "id",
        )
        return bool(rows)

    def deliveries(self, week_start: date | None = None) -> list[Delivery]:
        """Every delivery (of one week), oldest first."""
        where, args = week_range("week_start", week_start, week_start)
        return self._fetch(
            Delivery, "digest_deliveries", where, args, "id", sent_at=parse_timestamp
        )
