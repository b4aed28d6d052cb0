"""The demo's model inputs: eight numeric and four categorical features per event, drifting
from week 30 (longer tickets, more chat, a new language, a new product area).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.ingest.demo_draws import pick, pick_rows
from outcomes.ingest.demo_scenario import CATEGORICAL_FEATURES, NUMERIC_FEATURES


def draw_features(rng, size, segment, persistent, transient):
    """Numeric (size x 8, float) and categorical (size x 4, codes) inputs of one week."""
    ticket_length = np.maximum(
        5, np.round(rng.lognormal(np.log(120) + np.log(1.6) * persistent, 0.6, size))
    )
    attachments = rng.poisson(0.6 + 0.8 * transient, size)
    tenure = np.round(rng.lognormal(np.log(np.asarray([1400.0, 800.0, 450.0])[segment]), 0.7))
    prior = rng.poisson(1.8 + 1.7 * transient, size)
    sentiment = np.clip(rng.normal(0.15 - 0.35 * transient, 0.35, size), -1, 1)
    new_product = rng.random(size) < 0.25 * persistent  # the integrations launch
    age = np.where(new_product, rng.integers(1, 120, size), rng.integers(180, 1500, size))
    priority = np.minimum(100, rng.beta(2, 5, size) * 100 + 10 * (segment == 0))
    replies = rng.poisson(2.5, size)
    num = np.column_stack(
        [
            ticket_length,
            attachments,
            tenure,
            prior,
            np.round(sentiment, 3) + 0.0,
            age,
            np.round(priority, 1),
            replies,
        ]
    ).astype(float)
    channel = pick(
        rng,
        (0.55 - 0.15 * persistent, 0.30 - 0.05 * persistent, 0.15 + 0.20 * persistent),
        size,
    )
    language = pick(rng, (0.80 - 0.09 * persistent, 0.08, 0.07, 0.05, 0.09 * persistent), size)
    area = np.where(
        new_product,
        3,
        pick(rng, (0.22, 0.25 - 0.04 * persistent, 0.23 - 0.04 * persistent, 0.18, 0.12), size),
    )
    plan_p = np.array([[0.0, 0.1, 0.9], [0.1, 0.8, 0.1], [0.75, 0.25, 0.0]])
    plan = pick_rows(rng, plan_p[segment])
    cat = np.column_stack([channel, language, area, plan])
    return num, cat, ticket_length > 250, language == 4, new_product


def feature_table(
    event_ids: pa.Array,
    num: np.ndarray,
    cat: np.ndarray,
    numeric: tuple[str, ...] = NUMERIC_FEATURES,
    categorical: dict[str, tuple[str, ...]] = CATEGORICAL_FEATURES,
) -> pa.Table:
    """Long form: one row per event and feature, numeric features first (ticket-assistant's
    features unless ``numeric`` and ``categorical`` name another system's)."""
    size, n_num, n_cat = len(num), num.shape[1], cat.shape[1]
    width = n_num + n_cat
    values = np.concatenate([num, np.full((size, n_cat), np.nan)], axis=1).ravel()
    offsets = np.cumsum([0] + [len(v) for v in categorical.values()])[:-1]
    codes = np.concatenate([np.full((size, n_num), -1), cat + offsets], axis=1).ravel()
    vocabulary = pa.array([v for vs in categorical.values() for v in vs], pa.string())
    names = pa.array([*numeric, *categorical], pa.string())
    return pa.table(
        {
            "event_id": pc.take(event_ids, pa.array(np.repeat(np.arange(size), width))),
            "feature": pc.take(names, pa.array(np.tile(np.arange(width), size))),
            "value_num": pc.cast(pa.array(values, from_pandas=True), pa.string()),
            "value_cat": pc.take(vocabulary, pa.array(codes, mask=codes < 0, type=pa.int32())),
        }
    )
