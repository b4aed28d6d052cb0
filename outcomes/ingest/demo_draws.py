"""Vectorised random draws of the demo generator (numpy, no Python loop over rows).

>>> import numpy as np
>>> pick(np.random.default_rng(0), (0.0, 1.0, 0.0), 3).tolist()
[1, 1, 1]
"""

from __future__ import annotations

import numpy as np

from outcomes.ingest.demo_scenario import CUSTOMERS, DAY, DAY_WEIGHTS, SEGMENT_P


def pick(rng: np.random.Generator, p, size: int) -> np.ndarray:
    """Indices drawn from probabilities ``p`` (vectorised inverse CDF)."""
    cum = np.cumsum(np.asarray(p, dtype=float))
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(size), side="right"), len(cum) - 1)


def pick_rows(rng: np.random.Generator, p_rows: np.ndarray) -> np.ndarray:
    """Indices drawn from one probability row per draw (shape draws x choices)."""
    cum = np.cumsum(p_rows, axis=1)
    u = rng.random(len(p_rows))[:, None] * cum[:, -1:]
    return np.minimum((u >= cum).sum(axis=1), p_rows.shape[1] - 1)


def open_items(
    rng: np.random.Generator, t0: int, limit: int, days: int, n_items: int, mean_hour: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Work items opened in the week from ``t0`` (epoch seconds) to before ``limit``: a day of
    its first ``days`` by DAY_WEIGHTS, a time around ``mean_hour`` o'clock (sd 3 h); each with
    a customer segment and a customer of that segment. Returns (opened, segment, customer)."""
    day = pick(rng, DAY_WEIGHTS[:days], n_items)
    second = np.clip(rng.normal(mean_hour * 3600, 3 * 3600, n_items), 0, DAY - 1).astype(np.int64)
    opened = np.minimum(t0 + day * DAY + second, limit - 1)
    segment = pick(rng, SEGMENT_P, n_items)
    sizes, first = np.asarray(CUSTOMERS), np.cumsum([0, *CUSTOMERS[:-1]])
    customer = first[segment] + (rng.random(n_items) * sizes[segment]).astype(np.int64)
    return opened, segment, customer
