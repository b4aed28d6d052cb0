"""Weekly review sign-offs: appended, the latest one of a week is the one shown.

>>> import tempfile
>>> from pathlib import Path
>>> reviews = SignOffs(Path(tempfile.mkdtemp()) / "state.sqlite")
>>> reviews.sign_off(date(2024, 3, 4), "cfo@example.com", "figures agreed")
1
>>> [s.comment for s in reviews.signoffs(date(2024, 3, 4))]
['figures agreed']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from outcomes.store.state_access import StateAccess
from outcomes.store.state_audit import write_audit_entry
from outcomes.store.state_file import insert_row
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


class SignOffs(StateAccess):
    """Signing off weekly reviews and reading the sign-offs."""

    def sign_off(self, week_start: date, author: str, comment: str = "") -> int:
        """Sign off the weekly review of ``week_start``; appended, the latest is shown."""
        week = week_date(week_start, "week_start").isoformat()
        author = required_text(author, "author")
        comment = stripped_text(comment, "comment")
        with self._write() as (conn, at):
            row = {"week_start": week, "author": author, "comment": comment, "created_at": at}
            new_id = insert_row(conn, "signoffs", row)
            detail = {"comment": comment}
            write_audit_entry(conn, at, author, "sign_off", "weekly_review", week, detail)
        return new_id

    def signoffs(self, week_start: date | None = None) -> list[SignOff]:
        """Every sign-off (of one week), oldest first; the last one is the one to show."""
        where, args = week_range("week_start", week_start, week_start)
        return self._fetch(SignOff, "signoffs", where, args, "id")
