"""The output review: a reproducible sample of a week's AI outputs and the verdicts on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.views.state_columns import with_latest
from outcomes.store.state_verdicts import OutputVerdict

QUERIES = ("review_output_sample",)
SAMPLE_COLUMNS = [
    "event_id",
    "system",
    "prediction",
    "confidence",
    "model_version",
    "segment",
    "inputs",
    "verdict",
    "comment",
    "judged_by",
]


def output_sample(
    con: duckdb.DuckDBPyConnection,
    week: dt.date,
    n: int = 20,
    seed: str | None = None,
    system: str | None = None,
) -> pd.DataFrame:
    """A reproducible sample of ``n`` AI outputs of the week: events ordered by
    ``md5(seed || ':' || event_id)`` (seed defaults to the week, ISO text), so the same week
    always gives the same sample, on any machine, and a new event only enters the sample if
    it hashes before the others. ``system``: that AI system's events only (the same order,
    so a system's sample is reproducible too). Columns: event_id, occurred_at, system,
    model_version, segment, action_tier, prediction, confidence, inputs (its features as
    ``name=value`` text)."""
    seed = week.isoformat() if seed is None else seed
    return queries.run(
        con, "review_output_sample", {"week": week, "seed": seed, "n": n, "system": system}
    )


def verdict_summary(sample: pd.DataFrame, verdicts: Iterable[OutputVerdict]) -> dict[str, Any]:
    """Counts of the sample's verdicts and the reviewed accuracy (correct / judged).

    >>> from outcomes.store.state_verdicts import Verdict
    >>> at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> v = [OutputVerdict(1, "e1", dt.date(2026, 1, 5), Verdict.correct, "", "ana", at),
    ...      OutputVerdict(2, "e2", dt.date(2026, 1, 5), Verdict.incorrect, "", "ana", at)]
    >>> verdict_summary(pd.DataFrame({"event_id": ["e1", "e2", "e3"]}), v)
    {'sampled': 3, 'judged': 2, 'correct': 1, 'incorrect': 1, 'accuracy': 0.5}
    """
    ids = set(sample["event_id"]) if len(sample) else set()
    mine = [v for v in verdicts if v.event_id in ids]
    correct = sum(1 for v in mine if v.verdict.value == "correct")
    judged = len(mine)
    return {
        "sampled": len(ids),
        "judged": judged,
        "correct": correct,
        "incorrect": judged - correct,
        "accuracy": correct / judged if judged else None,
    }


def attach_verdicts(sample: pd.DataFrame, verdicts: Iterable[OutputVerdict]) -> pd.DataFrame:
    """Add verdict, comment, judged_by, judged_at (latest verdict per event) to the sample."""
    latest = {v.event_id: v for v in sorted(verdicts, key=lambda v: v.id)}
    return with_latest(
        sample,
        "event_id",
        latest,
        {
            "verdict": lambda v: v.verdict.value,
            "comment": lambda v: v.comment,
            "judged_by": lambda v: v.author,
            "judged_at": lambda v: v.created_at,
        },
    )


def output_choices(sample: pd.DataFrame) -> dict[str, str]:
    """``{event_id: "event_id → prediction"}`` in sample order, for the verdict picker.

    >>> output_choices(pd.DataFrame({"event_id": ["e1"], "prediction": ["refund"]}))
    {'e1': 'e1 → refund'}
    """
    return {e: f"{e} → {p}" for e, p in zip(sample["event_id"], sample["prediction"], strict=True)}


def accuracy_text(summary: dict[str, Any]) -> str:
    """The reviewed accuracy as a percentage, ``–`` before any verdict.

    >>> accuracy_text({"accuracy": 0.5}), accuracy_text({"accuracy": None})
    ('50.0%', '–')
    """
    return "–" if summary["accuracy"] is None else f"{summary['accuracy']:.1%}"
