"""The weeks a review can be of, the one it opens on, and what to know about a week first.

>>> cal = pd.DataFrame({"week_start": [dt.date(2026, 1, 12), dt.date(2026, 1, 5)],
...                     "is_partial": [True, False], "provisional": [0, 0]})
>>> default_week(cal)
datetime.date(2026, 1, 5)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.markup import md_text
from outcomes.app.views.snapshot_cells import as_date, has_table
from outcomes.store.state import StateStore
from outcomes.store.state_signoffs import SignOff

QUERIES = ("review_weeks",)
# the page's sections, anchor -> header, in the order a reviewer acts
SECTIONS = {
    "needs-action": "Needs action",
    "changes": "Biggest changes vs last week",
    "scorecard": "Scorecard",
    "alerts": "Alerts",
    "drift": "Drift",
    "data-quality": "Data quality",
    "notes": "Notes",
    "output-review": "Output review",
    "sign-off": "Sign-off & export",
}
NO_SNAPSHOT = (
    "No data yet. Run `make run` (generates the demo), or load your files with "
    "`outcomes ingest <file> --table <table>` and then `outcomes build`."
)
NO_WEEKS = (
    "The snapshot has no AI events, so there is no week to review. Load some with "
    "`outcomes ingest <file> --table ai_events`, then `outcomes build`."
)


def weeks(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The reporting calendar, newest first: week_start (date), is_partial, provisional
    (number of metric rows of the week flagged provisional)."""
    if not has_table(con, "staging", "weeks"):
        return pd.DataFrame(columns=["week_start", "is_partial", "provisional"])
    rows = queries.rows(con, "review_weeks")
    return pd.DataFrame(
        [(as_date(w), bool(p), int(n)) for w, p, n in rows],
        columns=["week_start", "is_partial", "provisional"],
    )


def default_week(calendar: pd.DataFrame) -> dt.date | None:
    """The last complete week of :func:`weeks`, else the newest one."""
    if calendar.empty:
        return None
    complete = calendar[~calendar["is_partial"].astype(bool)]
    pick = complete if len(complete) else calendar
    return max(pick["week_start"])


def latest_signoff(store: StateStore, week: dt.date) -> SignOff | None:
    """The sign-off of ``week`` to show (the latest), None before any."""
    signoffs = store.signoffs(week)
    return signoffs[-1] if signoffs else None


def signoff_text(signoff: SignOff) -> str:
    """Who signed the week off and when, with their comment.

    >>> at = dt.datetime(2026, 1, 12, 9, 30, tzinfo=dt.UTC)
    >>> signoff_text(SignOff(1, dt.date(2026, 1, 5), "ana", "fine", at))
    'ana at 2026-01-12 09:30 UTC: fine'
    """
    # shown as Markdown: what people typed is escaped (outcomes.app.markup)
    text = f"{md_text(signoff.author)} at {signoff.created_at:%Y-%m-%d %H:%M} UTC" + (
        f": {md_text(signoff.comment)}" if signoff.comment else ""
    )
    if signoff.open_items:
        text += f" (over {len(signoff.open_items)} open items, because: {md_text(signoff.reason)})"
    return text


def week_facts(week_row: Any, latest_signoff: SignOff | None) -> list[str]:
    """What to know about the week before its figures (Markdown lines): partial, provisional
    rows, signed off or not."""
    facts = []
    if week_row["is_partial"]:
        facts.append("⏳ **Partial week**: it had not ended when this snapshot was built.")
    if week_row["provisional"]:
        facts.append(
            f"🟡 {week_row['provisional']} metric rows are **provisional** (few labels yet)."
        )
    if latest_signoff:
        author = md_text(latest_signoff.author)
        when = signoff_text(latest_signoff).removeprefix(author)
        facts.append(f"✅ Signed off by **{author}**{when}")
    else:
        facts.append("✍️ Not signed off yet.")
    return facts
