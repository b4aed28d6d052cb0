"""What the weekly digest says: the week's review as the app computes it.

Every figure comes from the same view functions the weekly review and ROI pages call
(:mod:`outcomes.app.views.weekly_review.triage`, :mod:`~outcomes.app.views.weekly_review.changes`,
:func:`outcomes.roi.summary.summarise`), formatted by :mod:`outcomes.core.formats` and
:mod:`outcomes.core.money`, so the digest and the app show the same numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast
from urllib.parse import urlencode

import duckdb
import pandas as pd

from outcomes.app.views import metric_definitions
from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.app.views.snapshot_info import build_info
from outcomes.app.views.weekly_review import (
    changes,
    checklist,
    output_review,
    scorecard,
    triage,
    weeks,
)
from outcomes.core.money import money, percent
from outcomes.roi.sensitivity import roi_range
from outcomes.roi.summary import summarise
from outcomes.store.state import StateStore

ITEM_COLUMNS = [
    "level",
    "metric",
    "title",
    "dimension",
    "value",
    "value_text",
    "unit",
    "weeks_ongoing",
    "owner",
    "why",
]


@dataclass(frozen=True)
class Headline:
    """The ROI figures the digest leads with, as text (money rounded as the ROI page does)."""

    net_to_date: str
    roi_to_date: str
    net_week: str
    since: dt.date | None
    roi_range: str = ""  # low – high, every ranged assumption at its ends ("" without ranges)


@dataclass(frozen=True)
class Digest:
    """One week's digest, before it is routed: every item, whoever owns it."""

    week: dt.date
    build_id: str | None
    items: pd.DataFrame  # needs action, in the review's order: ITEM_COLUMNS
    counts: dict[str, int]
    changes: pd.DataFrame  # biggest changes vs last week (changes.CHANGE_COLUMNS)
    open_items: list[str]
    signed_off_by: list[str]
    headline: Headline | None
    links: dict[str, str] = field(default_factory=dict)

    def for_owners(self, owners: set[str] | None) -> pd.DataFrame:
        """The items of ``owners`` (None: every item, those without an owner included)."""
        if owners is None:
            return self.items
        return self.items[self.items["owner"].isin(owners)].reset_index(drop=True)


def app_links(app_url: str, week: dt.date) -> dict[str, str]:
    """Links into the app: the week's review and the ROI page.

    >>> app_links("http://app:8501/", dt.date(2026, 1, 5))["review"]
    'http://app:8501/weekly_review?week=2026-01-05'
    """
    base = app_url.rstrip("/")
    return {
        "review": f"{base}/weekly_review?{urlencode({'week': week.isoformat()})}",
        "roi": f"{base}/roi",
    }


def headline(con: duckdb.DuckDBPyConnection, week: dt.date) -> Headline | None:
    """Net value and ROI from the first ledger week to ``week``, and the week's net value."""
    try:
        to_date = summarise(con, None, week)
    except duckdb.Error:
        return None  # a snapshot without a ledger
    if not to_date.weeks:
        return None
    this_week = summarise(con, week, week)
    c = to_date.currency
    span = roi_range(catalog_safe(con), None, None, week)
    ends = [span.low_roi, span.high_roi]
    low, high = sorted(cast("list[Decimal]", ends)) if None not in ends else (None, None)
    return Headline(
        net_to_date=money(to_date.cumulative_net, c),
        roi_to_date=percent(to_date.roi),
        net_week=money(this_week.net_value, c),
        since=to_date.first_week,
        roi_range="" if low is None or low == high else f"{percent(low)} – {percent(high)}",
    )


def build_digest(
    con: duckdb.DuckDBPyConnection,
    store: StateStore,
    *,
    week: dt.date | None = None,
    app_url: str = "http://127.0.0.1:8501",
    overdue_weeks: int = 2,
) -> Digest:
    """The digest of ``week`` (default: the last complete week, as the review opens on)."""
    calendar = weeks.weeks(con)
    week = week or weeks.default_week(calendar)
    if week is None:
        raise ValueError("the snapshot has no week to review")
    state = triage.with_state(
        triage.triage(con, week), store.acknowledgements(), week, overdue_weeks
    )
    todo = triage.needs_action(state)
    items = todo.reindex(columns=ITEM_COLUMNS) if len(todo) else pd.DataFrame(columns=ITEM_COLUMNS)
    sample = output_review.output_sample(con, week)
    summary = output_review.verdict_summary(sample, store.verdicts(week))
    unowned = metric_definitions.unowned_metrics(con)
    return Digest(
        week=week,
        build_id=build_info(con)["build_id"],
        items=items.reset_index(drop=True),
        counts=triage.group_counts(state),
        changes=changes.biggest_changes(scorecard.scorecard(con, week)),
        open_items=checklist.open_items(state, summary, unowned),
        signed_off_by=[s.author for s in store.signoffs(week)],
        headline=headline(con, week),
        links=app_links(app_url, week),
    )
