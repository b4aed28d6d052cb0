"""Row builders and comparisons for the metric golden tests (tests/sql/test_metrics_*.py).

Every golden test writes its raw rows and its expected metric rows out by hand; these helpers
only fill the columns a test does not care about and fetch a metric keyed by its dimensions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.sqlharness import metric_text, rows

RATIO = ["value", "numerator", "denominator", "flag"]  # the columns of a ratio metric


def event(event_id: str, occurred_at: str, **fields: object) -> dict[str, object]:
    """An ai_events row with harmless defaults for every required column."""
    row: dict[str, object] = {
        "event_id": event_id,
        "occurred_at": occurred_at,
        "system": "triage",
        "model_version": "v1",
        "segment": "smb",
        "action_tier": "suggest",
        "prediction": "p",
        "confidence": 0.5,
        "latency_ms": 100.0,
        "tokens_in": 10,
        "tokens_out": 5,
        "cost_usd": "0.001000",
        "user_id": "u1",
        "work_item_id": None,
        "customer_id": "c1",
    }
    row.update(fields)
    return row


RANDOM_START = dt.datetime(2026, 1, 5)  # a Monday: the first week of the random-data tests


def random_event(
    rng: np.random.Generator,
    i: int,
    systems: Sequence[str],
    p: Sequence[float],
    weeks: int,
    segments: Sequence[str],
) -> tuple[dict[str, object], dt.datetime]:
    """Event ``r<i>`` of the random-data tests and its time: the system drawn with weights
    ``p``, a minute within ``weeks`` weeks from RANDOM_START, model_version v1 or v2, a segment.

    The draws come in that order, so a caller's further draws (its own columns, its label)
    follow them as they did when every test wrote this loop out itself."""
    system = str(rng.choice(systems, p=p))
    at = RANDOM_START + dt.timedelta(minutes=int(rng.integers(0, weeks * 7 * 24 * 60)))
    row = event(
        f"r{i}",
        at.isoformat(sep=" "),
        system=system,
        model_version=str(rng.choice(["v1", "v2"])),
        segment=str(rng.choice(segments)),
    )
    return row, at


def feedback(event_id: str, labeled_at: str, **fields: object) -> dict[str, object]:
    """A feedback row: labelled correct, accepted, not overridden unless told otherwise."""
    row: dict[str, object] = {
        "event_id": event_id,
        "labeled_at": labeled_at,
        "correct": True,
        "accepted": True,
        "overridden": False,
        "reviewer": "r1",
    }
    row.update(fields)
    return row


def item(
    item_id: str, closed_at: str | None, ai_assisted: bool, handle_minutes: float | None
) -> dict[str, object]:
    """A work item opened when it was closed (at 2026-03-01 when still open)."""
    opened = closed_at or "2026-03-01 00:00:00"
    return {
        "item_id": item_id,
        "opened_at": opened,
        "closed_at": closed_at,
        "team": "support",
        "customer_id": "c1",
        "ai_assisted": ai_assisted,
        "handle_minutes": handle_minutes,
        "outcome": "open" if closed_at is None else "resolved",
    }


def assumption(key: str, effective_from: str, value: float) -> dict[str, object]:
    return {
        "key": key,
        "effective_from": effective_from,
        "value": value,
        "unit": "n",
        "owner": "finance@example.com",
        "source": "test",
    }


def ratio_rows(
    counts: Mapping[tuple, tuple[float, float]], flag: str | None = None
) -> dict[tuple, list[object]]:
    """``{key: (numerator, denominator)}`` -> expected ratio rows ``[n / d, n, d, flag]``."""
    return {k: [n / d, n, d, flag] for k, (n, d) in counts.items()}


def run_metric(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Materialise ``sql/metrics/<name>.sql`` as ``metrics.<name>`` on ``con``."""
    con.execute(f"create or replace table metrics.{Path(name).stem} as {metric_text(name)}")


def metric_rows(
    con: duckdb.DuckDBPyConnection, metric: str, key: Sequence[str], columns: Sequence[str]
) -> dict[tuple, list]:
    """``{(week_start, *dims): [columns...]}`` of ``metrics.<metric>``; keys must be unique."""
    got = rows(con, f"select {', '.join([*key, *columns])} from metrics.{metric}")
    table = {tuple(r[: len(key)]): list(r[len(key) :]) for r in got}
    assert len(table) == len(got), f"{metric}: duplicate keys"
    return table


def assert_metric(
    con: duckdb.DuckDBPyConnection,
    metric: str,
    key: Sequence[str],
    columns: Sequence[str],
    expected: Mapping[tuple, Iterable[object]],
) -> None:
    """The metric's rows equal ``expected`` exactly: same keys, values by pytest.approx."""
    got = metric_rows(con, metric, key, columns)
    assert set(got) == set(expected), (
        f"{metric}: keys differ: {sorted(map(repr, set(got) ^ set(expected)))}"
    )
    for k, values in expected.items():
        want = list(values)
        assert len(got[k]) == len(want), f"{metric} {k}"
        for column, g, w in zip(columns, got[k], want, strict=True):
            if isinstance(w, int | float) and not isinstance(w, bool):
                assert g == pytest.approx(w, rel=1e-12, abs=1e-12), f"{metric} {k} {column}"
            else:
                assert g == w, f"{metric} {k} {column}"


def monday(timestamps: pd.Series) -> pd.Series:
    """The Monday (UTC) of each timestamp, as dates: the reporting week with default settings."""
    ts = pd.to_datetime(timestamps)
    return (ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")).dt.date
