"""Weekly review sign-offs: one per week and person, with what was still open and why it was
signed over.

>>> import tempfile
>>> from pathlib import Path
>>> reviews = SignOffs(Path(tempfile.mkdtemp()) / "state.sqlite")
>>> reviews.sign_off(date(2024, 3, 4), "cfo@example.com", "figures agreed")
1
>>> [s.comment for s in reviews.signoffs(date(2024, 3, 4))]
['figures agreed']
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from outcomes.store.state_access import StateAccess
from outcomes.store.state_audit import write_audit_entry
from outcomes.store.state_file import StateValidationError, insert_row
from outcomes.store.state_values import (
    required_text,
    stripped_text,
    week_date,
    week_range,
)


@dataclass(frozen=True, slots=True)
class SignOff:
    """One sign-off of a weekly review, as stored."""

    id: int
    week_start: date
    author: str
    comment: str
    created_at: datetime
    open_items: tuple[str, ...] = ()  # what was still open when it was signed
    reason: str = ""  # why it was signed over open items (required when there are some)


class SignOffs(StateAccess):
    """Signing off weekly reviews and reading the sign-offs."""

    def sign_off(
        self,
        week_start: date,
        author: str,
        comment: str = "",
        *,
        open_items: Sequence[str] = (),
        reason: str = "",
    ) -> int:
        """Sign off the weekly review of ``week_start``, once per ``author``; signing over
        ``open_items`` needs a ``reason``, stored with them."""
        week = week_date(week_start, "week_start").isoformat()
        author = required_text(author, "author")
        comment = stripped_text(comment, "comment")
        reason = stripped_text(reason, "reason")
        items = [str(i) for i in open_items]
        if items and not reason:
            raise StateValidationError(
                f"{len(items)} items are still open: give a reason to sign off over them"
            )
        with self._write() as (conn, at):
            signed = conn.execute(
                "select created_at from signoffs where week_start = ? and author = ?",
                (week, author),
            ).fetchone()
            if signed:
                raise StateValidationError(
                    f"{author} already signed off the week of {week} (at {signed[0][:16]} UTC)"
                )
            row = {
                "week_start": week,
                "author": author,
                "comment": comment,
                "open_items": json.dumps(items),
                "reason": reason,
                "created_at": at,
            }
            new_id = insert_row(conn, "signoffs", row)
            detail = {"comment": comment, "open_items": items, "reason": reason}
            write_audit_entry(conn, at, author, "sign_off", "weekly_review", week, detail)
        return new_id

    def signoffs(self, week_start: date | None = None) -> list[SignOff]:
        """Every sign-off (of one week), oldest first; the last one is the one to show."""
        where, args = week_range("week_start", week_start, week_start)
        return self._fetch(
            SignOff, "signoffs", where, args, "id", open_items=lambda t: tuple(json.loads(t))
        )
