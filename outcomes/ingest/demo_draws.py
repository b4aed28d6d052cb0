"""Vectorised random draws of the demo generator (numpy, no Python loop over rows).

>>> import numpy as np
>>> pick(np.random.default_rng(0), (0.0, 1.0, 0.0), 3).tolist()
[1, 1, 1]
"""

from __future__ import annotations

import numpy as np


def pick(rng: np.random.Generator, p, size: int) -> np.ndarray:
    """Indices drawn from probabilities ``p`` (vectorised inverse CDF)."""
    cum = np.cumsum(np.asarray(p, dtype=float))
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(size), side="right"), len(cum) - 1)


def pick_rows(rng: np.random.Generator, p_rows: np.ndarray) -> np.ndarray:
    """Indices drawn from one probability row per draw (shape draws x choices)."""
    cum = np.cumsum(p_rows, axis=1)
    u = rng.random(len(p_rows))[:, None] * cum[:, -1:]
    return np.minimum((u >= cum).sum(axis=1), p_rows.shape[1] - 1)
