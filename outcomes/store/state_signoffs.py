"""Weekly review sign-offs: one per week, person and AI system (``system`` None = the company
review, as every sign-off written before systems existed), with what was still open and why it
was signed over.

>>> import tempfile
>>> from pathlib import Path
>>> reviews = SignOffs(Path(tempfile.mkdtemp()) / "state.sqlite")
>>> reviews.sign_off(date(2024, 3, 4), "cfo@example.com", "figures agreed")
1
>>> [s.comment for s in reviews.signoffs(date(2024, 3, 4))]
['figures agreed']
>>> reviews.sign_off(date(2024, 3, 4), "cfo@example.com", "ok", system="invoice-matcher")
2
>>> [(s.system, s.comment) for s in reviews.signoffs(date(2024, 3, 4), ALL_SYSTEMS)]
[(None, 'figures agreed'), ('invoice-matcher', 'ok')]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from outcomes.store.state_access import StateAccess
from outcomes.store.state_audit import write_audit_entry
from outcomes.store.state_file import StateValidationError, insert_row
from outcomes.store.state_values import (
    required_text,
    stripped_text,
    week_date,
    week_range,
)

# ``signoffs(week, ALL_SYSTEMS)``: the sign-offs of every system and of the company
ALL_SYSTEMS: Final = "*"


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
    system: str | None = None  # the AI system reviewed; None = the company review


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
        system: str | None = None,
    ) -> int:
        """Sign off the weekly review of ``week_start`` (of ``system``, None = the company),
        once per ``author`` and system; signing over ``open_items`` needs a ``reason``, stored
        with them."""
        week = week_date(week_start, "week_start").isoformat()
        system = None if system is None else required_text(system, "system")
        what = week if system is None else f"{week} ({system})"
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
                "select created_at from signoffs where week_start = ? and author = ? "
                "and system is ?",
                (week, author, system),
            ).fetchone()
            if signed:
                raise StateValidationError(
                    f"{author} already signed off the week of {what} (at {signed[0][:16]} UTC)"
                )
            row = {
                "week_start": week,
                "author": author,
                "comment": comment,
                "open_items": json.dumps(items),
                "reason": reason,
                "created_at": at,
                "system": system,
            }
            new_id = insert_row(conn, "signoffs", row)
            detail = {"comment": comment, "open_items": items, "reason": reason}
            if system is not None:
                detail["system"] = system
            write_audit_entry(conn, at, author, "sign_off", "weekly_review", what, detail)
        return new_id

    def signoffs(self, week_start: date | None = None, system: str | None = None) -> list[SignOff]:
        """Every sign-off (of one week) of ``system`` (None: the company review;
        :data:`ALL_SYSTEMS`: every one), oldest first; the last one is the one to show."""
        where, args = week_range("week_start", week_start, week_start)
        if system != ALL_SYSTEMS:
            where.append("system is ?")
            args.append(system)
        return self._fetch(
            SignOff, "signoffs", where, args, "id", open_items=lambda t: tuple(json.loads(t))
        )

    def signoffs_between(self, start: date, end: date) -> list[SignOff]:
        """Every sign-off of the weeks ``start..end``, of every system and the company."""
        where, args = week_range("week_start", start, end)
        return self._fetch(
            SignOff, "signoffs", where, args, "id", open_items=lambda t: tuple(json.loads(t))
        )
