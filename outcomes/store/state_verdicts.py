"""Output-review verdicts: a person judges one AI output correct or incorrect.

A later verdict on the same event replaces the earlier one in reads (both are kept).

>>> import tempfile
>>> from pathlib import Path
>>> review = OutputVerdicts(Path(tempfile.mkdtemp()) / "state.sqlite")
>>> _ = review.record_verdict("E000000001", date(2024, 3, 4), "incorrect", "ana")
>>> _ = review.record_verdict("E000000001", date(2024, 3, 4), "correct", "bo", "misread")
>>> [(v.event_id, v.verdict.value, v.author) for v in review.verdicts()]
[('E000000001', 'correct', 'bo')]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from outcomes.store.state_access import StateAccess
from outcomes.store.state_audit import write_audit_entry
from outcomes.store.state_file import insert_row
from outcomes.store.state_values import (
    enum_member,
    required_text,
    stripped_text,
    week_date,
    week_range,
)


class Verdict(StrEnum):
    """A person's judgement of one AI output."""

    correct = "correct"
    incorrect = "incorrect"


@dataclass(frozen=True, slots=True)
class OutputVerdict:
    """One verdict on an AI output, as stored."""

    id: int
    event_id: str
    week_start: date
    verdict: Verdict
    comment: str
    author: str
    created_at: datetime


class OutputVerdicts(StateAccess):
    """Recording verdicts on AI outputs and reading the latest per event."""

    def record_verdict(
        self,
        event_id: str,
        week_start: date,
        verdict: Verdict | str,
        author: str,
        comment: str = "",
    ) -> int:
        """Judge one AI output by hand; a later verdict on the same event replaces it in reads."""
        event_id = required_text(event_id, "event_id")
        week = week_date(week_start, "week_start").isoformat()
        verdict = enum_member(Verdict, verdict, "verdict")
        author = required_text(author, "author")
        comment = stripped_text(comment, "comment")
        detail = {"week_start": week, "verdict": verdict.value, "comment": comment}
        with self._write() as (conn, at):
            row = {"event_id": event_id, **detail, "author": author, "created_at": at}
            new_id = insert_row(conn, "output_verdicts", row)
            write_audit_entry(conn, at, author, "verdict", "output", event_id, detail)
        return new_id

    def verdicts(self, week_start: date | None = None) -> list[OutputVerdict]:
        """The latest verdict per event (of one week), by event id; re-verdicts replace earlier ones."""
        where, args = week_range("v.week_start", week_start, week_start)
        where.insert(0, "v.id = (select max(id) from output_verdicts where event_id = v.event_id)")
        return self._fetch(
            OutputVerdict, "output_verdicts v", where, args, "v.event_id", verdict=Verdict
        )
