"""One week of invoice-matcher or contract-summariser (``demo_systems``): work items opened,
AI events on them, their features, feedback and work-item rows, with the system named on every
assisted item. Every random stream is seeded from ``(seed, 5, system, week)``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.ingest.demo_draws import open_items, pick_rows
from outcomes.ingest.demo_features import feature_table
from outcomes.ingest.demo_population import Scenario
from outcomes.ingest.demo_scenario import (
    ALL_TEAMS,
    DAY,
    PRICE_CUT,
    SEGMENTS,
    SYSTEMS,
    TIERS,
)
from outcomes.ingest.demo_systems import OtherSystem
from outcomes.ingest.demo_text import customer_id_text, ids_text, labels, num_text, ts_text

NULL_TEXT = pa.scalar(None, pa.string())


def other_system_week(
    s: Scenario, spec: OtherSystem, w: int, event_offset: int
) -> dict[str, pa.Table]:
    """Week ``w`` (0-based) of ``spec``'s events, features, feedback and work items; its event
    ids are numbered from ``event_offset + 1``."""
    k = SYSTEMS.index(spec.name)
    rng = np.random.default_rng([s.seed, 5, k, w])
    n = w + 1
    t0 = int(s.week_ts[w])
    limit = min(t0 + 7 * DAY, s.end_ts)
    n_ev = int(s.n_system[k][w])
    ai_items, control_items, item_offset = s.other_items[spec.name]
    n_ai, n_ctl = int(ai_items[w]), int(control_items[w])
    n_items = n_ai + n_ctl

    days = max(int(s.days[w]), 1)
    opened, segment, customer = open_items(rng, t0, limit, days, n_items, mean_hour=13)
    active = s.active_other[spec.name][w]
    item_user = active[rng.integers(0, len(active), n_ai)] if n_ai else np.zeros(0, np.int64)

    item_of = np.concatenate([np.arange(n_ai), rng.integers(0, max(n_ai, 1), n_ev - n_ai)])
    occurred = np.minimum(opened[item_of] + rng.exponential(600, n_ev).astype(np.int64), limit - 1)
    order = np.argsort(occurred, kind="stable")
    item_of, occurred = item_of[order], occurred[order]
    item_order = np.argsort(opened, kind="stable")
    rank = np.empty(n_items, dtype=np.int64)
    rank[item_order] = np.arange(n_items)

    d = spec.draw(rng, n, n_ev)
    price_in, price_out = (3.0e-6, 15.0e-6) if n < PRICE_CUT else (1.25e-6, 10.0e-6)
    cost = np.round(d.tokens_in * price_in + d.tokens_out * price_out, 6)
    month = occurred.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) - s.month0
    s.inference_usd[spec.name] += np.bincount(
        month, weights=cost, minlength=len(s.inference_usd[spec.name])
    )

    event_ids = ids_text("E", event_offset, n_ev, 9)
    item_ids = ids_text(spec.item_prefix, int(item_offset[w]), n_items, 8)  # in opening order
    ev_user = pc.take(s.user_ids, pa.array(item_user[item_of], pa.int64()))
    events = pa.table(
        {
            "event_id": event_ids,
            "occurred_at": ts_text(occurred),
            "system": pa.array([spec.name] * n_ev, pa.string()),
            "model_version": pa.array([d.model_version] * n_ev, pa.string()),
            "segment": labels(SEGMENTS, segment[item_of]),
            "action_tier": labels(TIERS, d.tier),
            "prediction": labels(spec.predictions, d.prediction),
            "confidence": num_text(d.confidence, 4),
            "latency_ms": num_text(d.latency, 1),
            "tokens_in": num_text(d.tokens_in, 0),
            "tokens_out": num_text(d.tokens_out, 0),
            "cost_usd": num_text(cost, 6),
            "user_id": ev_user,
            "work_item_id": pc.take(item_ids, pa.array(rank[item_of], pa.int64())),
            "customer_id": customer_id_text(customer[item_of]),
        }
    )
    features = feature_table(event_ids, d.num, d.cat, spec.numeric, spec.categorical)
    feedback = _feedback(s, spec, rng, event_ids, ev_user, occurred, d.correct)
    wrong = np.bincount(item_of, weights=~d.correct, minlength=n_items) > 0
    items = _work_items(s, spec, rng, item_ids, item_order, opened, customer, n_ai, wrong)
    return {"ai_events": events, "ai_features": features, "feedback": feedback, "work_items": items}


def _feedback(s, spec, rng, event_ids, users, occurred, correct) -> pa.Table:
    """Labels: ``spec.label_share`` of the events, ``spec.label_delay_days`` later (those not
    arrived by the demo's end are left out)."""
    size = len(occurred)
    low, high = spec.label_delay_days
    labeled_at = occurred + (rng.uniform(low, high, size) * DAY).astype(np.int64)
    keep = np.flatnonzero((rng.random(size) < spec.label_share) & (labeled_at < s.end_ts))
    overridden = np.where(correct, rng.random(size) < 0.04, rng.random(size) < 0.85)
    accepted = ~overridden & (rng.random(size) < 0.94)
    idx = pa.array(keep, pa.int64())
    return pa.table(
        {
            "event_id": pc.take(event_ids, idx),
            "labeled_at": ts_text(labeled_at[keep]),
            "correct": pc.cast(pa.array(correct[keep]), pa.string()),
            "accepted": pc.cast(pa.array(accepted[keep]), pa.string()),
            "overridden": pc.cast(pa.array(overridden[keep]), pa.string()),
            "reviewer": pc.take(users, idx),
        }
    )


def _work_items(s, spec, rng, item_ids, order, opened, customer, n_ai, wrong) -> pa.Table:
    """The week's items of the system's team: the first ``n_ai`` assisted (system named)."""
    size = len(opened)
    ai = np.arange(size) < n_ai
    manual, right, mistaken = spec.minutes
    median = np.where(ai, np.where(wrong, mistaken, right), manual)
    handle = rng.lognormal(np.log(median), 0.45)
    outcome = pick_rows(
        rng,
        np.where((ai & wrong)[:, None], np.array([0.75, 0.20, 0.05]), np.array([0.90, 0.06, 0.04])),
    )
    closed = opened + (rng.lognormal(np.log(8 * 3600), 1.0, size) + handle * 60).astype(np.int64)
    still_open = (closed >= s.end_ts) | (rng.random(size) < 0.01)
    outcome = np.where(still_open, 3, outcome)
    o = order
    is_open = pa.array(still_open[o])
    return pa.table(
        {
            "item_id": item_ids,
            "opened_at": ts_text(opened[o]),
            "closed_at": pc.if_else(is_open, NULL_TEXT, ts_text(closed[o])),
            "team": pa.array([ALL_TEAMS[spec.team]] * size, pa.string()),
            "customer_id": customer_id_text(customer[o]),
            "ai_assisted": pc.cast(pa.array(ai[o]), pa.string()),
            "handle_minutes": pc.if_else(is_open, NULL_TEXT, num_text(handle[o], 1)),
            "outcome": labels(("resolved", "escalated", "duplicate", "open"), outcome[o]),
            "system": pc.if_else(pa.array(ai[o]), pa.scalar(spec.name), NULL_TEXT),
        }
    )
