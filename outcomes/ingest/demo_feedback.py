"""The demo's feedback: reviewers label part of the events, most within hours, some weeks later
(and the label export stalls for three days in week 8).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.ingest.demo_population import Scenario
from outcomes.ingest.demo_scenario import DAY, PIPELINE_WEEK
from outcomes.ingest.demo_text import labels, ts_text


def feedback_table(s: Scenario, rng, n, event_ids, users, occurred, correct, tier) -> pa.Table:
    """Labels of one week's events: who reviewed, correct, accepted, overridden, and when."""
    size = len(occurred)
    labelled = rng.random(size) < np.asarray([0.45, 0.70, 0.30])[tier]
    u = rng.random(size)
    delay = np.where(
        u < 0.6,
        rng.lognormal(np.log(2 * 3600), 0.8, size),
        np.where(
            u < 0.9,
            rng.lognormal(np.log(2 * DAY), 0.5, size),
            rng.uniform(8 * DAY, 20 * DAY, size),
        ),
    )
    if n == PIPELINE_WEEK:  # the label export stalled for three days
        delay = delay + 3 * DAY
    labeled_at = occurred + delay.astype(np.int64)
    keep = np.flatnonzero(labelled & (labeled_at < s.end_ts))  # later labels: not yet
    overridden = np.where(correct, rng.random(size) < 0.04, rng.random(size) < 0.85)
    accepted = ~overridden & (rng.random(size) < 0.94)
    judged = rng.random(size) >= 0.03  # reviewer did not judge correctness
    qa = labels(("QA01", "QA02", "QA03", "QA04"), rng.integers(0, 4, size))
    reviewer = pc.if_else(pa.array(tier == 2), qa, users)
    reviewer = pc.if_else(pa.array(rng.random(size) < 0.02), pa.scalar(None, pa.string()), reviewer)
    idx = pa.array(keep)
    return pa.table(
        {
            "event_id": pc.take(event_ids, idx),
            "labeled_at": ts_text(labeled_at[keep]),
            "correct": pc.cast(pa.array(correct[keep], mask=~judged[keep]), pa.string()),
            "accepted": pc.cast(pa.array(accepted[keep]), pa.string()),
            "overridden": pc.cast(pa.array(overridden[keep]), pa.string()),
            "reviewer": pc.take(reviewer, idx),
        }
    )
