"""The weekly reviews the demo's story needs, written into the state store (issue 15).

The demo's systems differ in how they are run, and the readiness scorecard reads that from the
state store: ``ticket-assistant`` is reviewed every week (sign-offs of the last 8 complete
weeks, output verdicts in the last 4), ``invoice-matcher``'s review lapsed (signed in 2 of the
last 4 weeks, outputs judged), ``contract-summariser`` is never reviewed. Verdicts follow the
output's label (staging.feedback), on the weekly review's own reproducible sample.

Idempotent: a sign-off or verdict already there is left alone, so running the demo twice does
not fail on "already signed off" or pile up verdicts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from outcomes.app import queries
from outcomes.app.views.portfolio import last_complete_week
from outcomes.app.views.weekly_review.output_review import output_sample
from outcomes.store.state import StateStore


@dataclass(frozen=True)
class ReviewHabit:
    """How one demo system is reviewed: signed weeks back from the last complete one
    (0 = that week) and how many sampled outputs are judged in each of the last 4 weeks."""

    reviewer: str
    signed_weeks_back: tuple[int, ...]
    judged_per_week: int


HABITS = {
    "ticket-assistant": ReviewHabit("support-ops@example.com", tuple(range(8)), 8),
    "invoice-matcher": ReviewHabit("ap-automation@example.com", (2, 3, 5, 6), 5),
}
JUDGED_WEEKS = 4


def seed_demo_reviews(con: duckdb.DuckDBPyConnection, store: StateStore) -> int:
    """Write the demo's sign-offs and verdicts for the systems of :data:`HABITS` that the
    snapshot has; returns how many rows were written."""
    week = last_complete_week(con)
    if week is None:
        return 0
    written = 0
    for system, habit in HABITS.items():
        for back in habit.signed_weeks_back:
            day = week - dt.timedelta(weeks=back)
            if store.signoffs(day, system):
                continue
            store.sign_off(day, habit.reviewer, "demo: weekly review done", system=system)
            written += 1
        for back in range(JUDGED_WEEKS):
            day = week - dt.timedelta(weeks=back)
            sample = output_sample(con, day, 20, None, system)
            ids = list(sample["event_id"])[: habit.judged_per_week * 2]
            judged = {v.event_id for v in store.verdicts(day)}
            labels = queries.rows(con, "demo_review_labels", {"event_ids": ids})
            for event_id, correct in labels[: habit.judged_per_week]:
                if event_id in judged:
                    continue
                verdict = "correct" if correct else "incorrect"
                store.record_verdict(event_id, day, verdict, habit.reviewer, "demo")
                written += 1
    return written
