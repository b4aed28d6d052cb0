"""The demo's work items: support tickets, AI-assisted or not, with handle time and outcome
(an AI mistake costs time; the drift slows v1 down until the retrain).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.ingest.demo_draws import pick_rows
from outcomes.ingest.demo_population import Scenario
from outcomes.ingest.demo_scenario import DRIFT_FROM, SYSTEM, TEAMS
from outcomes.ingest.demo_text import labels, num_text, ts_text


def work_items_table(
    s: Scenario, rng, n, tickets, order, opened, team, n_ai, wrong, on_v2
) -> pa.Table:
    """Tickets of one week; ``tickets`` has their ids and customers in opening ``order``."""
    size = len(opened)
    ai = np.arange(size) < n_ai
    team_factor = np.asarray([0.95, 1.05, 1.0, 1.02])[team]
    ai_median = 25.0 - 5.0 * min(1.0, (n - 1) / 40)
    ai_median *= np.where(on_v2, 0.95, np.where(n >= DRIFT_FROM, 1.3, 1.0))
    median = np.where(ai, ai_median * np.where(wrong, 1.5, 1.0), 45.0) * team_factor
    handle = rng.lognormal(np.log(median), np.where(ai, 0.5, 0.45))
    outcome = pick_rows(
        rng,
        np.where((ai & wrong)[:, None], np.array([0.72, 0.20, 0.08]), np.array([0.83, 0.10, 0.07])),
    )
    handle = np.where(outcome == 2, handle * 0.2, handle)  # duplicates close fast
    wait = rng.lognormal(np.log(5 * 3600), 1.0, size)
    closed = opened + (wait + handle * 60).astype(np.int64)
    still_open = (closed >= s.end_ts) | (rng.random(size) < 0.01)
    outcome = np.where(still_open, 3, outcome)
    o = order
    closed_ts = pc.if_else(
        pa.array(still_open[o]), pa.scalar(None, pa.string()), ts_text(closed[o])
    )
    minutes = pc.if_else(
        pa.array(still_open[o]), pa.scalar(None, pa.string()), num_text(handle[o], 1)
    )
    return pa.table(
        {
            "item_id": tickets["item_id"],
            "opened_at": ts_text(opened[o]),
            "closed_at": closed_ts,
            "team": labels(TEAMS, team[o]),
            "customer_id": tickets["customer_id"],
            "ai_assisted": pc.cast(pa.array(ai[o]), pa.string()),
            "handle_minutes": minutes,
            "outcome": labels(("resolved", "escalated", "duplicate", "open"), outcome[o]),
            "system": pc.if_else(pa.array(ai[o]), pa.scalar(SYSTEM), pa.scalar(None, pa.string())),
        }
    )
