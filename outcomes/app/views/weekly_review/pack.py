"""The review of one week as a :class:`~outcomes.app.exports.weekly_review.ReviewPack`, for
the Markdown and HTML downloads of the page."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from outcomes.app.exports.weekly_review import ReviewPack, review_html, review_markdown
from outcomes.app.views.annotations import notes_frame
from outcomes.store.state import StateStore
from outcomes.store.state_signoffs import SignOff


def review_pack(
    store: StateStore,
    week: dt.date,
    *,
    build_id: str | None,
    is_partial: bool,
    author: str,
    scorecard: pd.DataFrame,
    alerts: pd.DataFrame,
    unowned: list[str],
    sample: pd.DataFrame,
    verdicts: dict[str, Any],
    signoff: SignOff | None,
    data_quality: dict[str, pd.DataFrame],
    system: str | None = None,
) -> ReviewPack:
    """Everything the page shows of ``week`` (of the company, or of AI ``system``), stamped
    now and by ``author`` (none if blank), with the week's notes read from the state store."""
    return ReviewPack(
        week=week,
        build_id=build_id,
        is_partial=is_partial,
        generated_at=dt.datetime.now(dt.UTC),
        generated_by=author or None,
        scorecard=scorecard,
        alerts=alerts,
        unowned=unowned,
        notes=notes_frame(store.annotations(start=week, end=week)),
        sample=sample,
        verdicts=verdicts,
        signoff=None
        if signoff is None
        else {
            "author": signoff.author,
            "created_at": signoff.created_at,
            "comment": signoff.comment,
        },
        data_quality=data_quality,
        system=system,
    )


@dataclass(frozen=True)
class Download:
    """One download of the review: button label, content, file name, MIME type."""

    label: str
    data: str
    file_name: str
    mime: str
    extension: str


def downloads(review: ReviewPack) -> list[Download]:
    """The review as Markdown and as HTML, named ``weekly-review-[<system>-]<week>.<ext>``."""
    stem = f"weekly-review-{_slug(review.system) + '-' if review.system else ''}{review.week}"
    return [
        Download(f"Download {title}", render(review), f"{stem}.{ext}", mime, ext)
        for title, render, ext, mime in (
            ("Markdown", review_markdown, "md", "text/markdown"),
            ("HTML", review_html, "html", "text/html"),
        )
    ]


def _slug(text: str) -> str:
    """A file-name-safe form of a system name.

    >>> _slug("invoice matcher/v2")
    'invoice-matcher-v2'
    """
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "system"
