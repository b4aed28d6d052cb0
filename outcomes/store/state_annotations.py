"""Annotations: notes on a week (a deploy, an incident, a business event), optionally one metric.

>>> import tempfile
>>> from pathlib import Path
>>> notes = Annotations(Path(tempfile.mkdtemp()) / "state.sqlite")
>>> notes.add_annotation(date(2024, 3, 4), "model v2 deployed", "deploy", "ana@example.com")
1
>>> [(a.kind.value, a.text) for a in notes.annotations(metric="accuracy")]
[('deploy', 'model v2 deployed')]
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
    week_date,
    week_range,
)


class AnnotationKind(StrEnum):
    """What an annotation notes."""

    deploy = "deploy"
    incident = "incident"
    business_event = "business_event"
    other = "other"


@dataclass(frozen=True, slots=True)
class Annotation:
    """One annotation, as stored."""

    id: int
    week_start: date
    metric: str | None
    kind: AnnotationKind
    text: str
    author: str
    created_at: datetime


class Annotations(StateAccess):
    """Adding and reading annotations."""

    def add_annotation(
        self,
        week_start: date,
        text: str,
        kind: AnnotationKind | str,
        author: str,
        metric: str | None = None,
    ) -> int:
        """Note something about a week (optionally one metric); return the annotation id."""
        week = week_date(week_start, "week_start").isoformat()
        text = required_text(text, "text")
        kind = enum_member(AnnotationKind, kind, "kind")
        author = required_text(author, "author")
        metric = None if metric is None else required_text(metric, "metric")
        with self._write() as (conn, at):
            new_id = insert_row(
                conn,
                "annotations",
                {
                    "week_start": week,
                    "metric": metric,
                    "kind": kind.value,
                    "text": text,
                    "author": author,
                    "created_at": at,
                },
            )
            detail = {"week_start": week, "metric": metric, "kind": kind.value, "text": text}
            write_audit_entry(conn, at, author, "add", "annotation", str(new_id), detail)
        return new_id

    def annotations(
        self,
        start: date | None = None,
        end: date | None = None,
        metric: str | None = None,
        *,
        include_general: bool = True,
    ) -> list[Annotation]:
        """Annotations with ``start <= week_start <= end``, oldest week first.

        With ``metric``, those on that metric plus (``include_general``) those on no metric.
        """
        where, args = week_range("week_start", start, end)
        if metric is not None:
            where.append("(metric = ? or metric is null)" if include_general else "metric = ?")
            args.append(metric)
        return self._fetch(
            Annotation, "annotations", where, args, "week_start, id", kind=AnnotationKind
        )
