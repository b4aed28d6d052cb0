"""One week of the demo: ticket-assistant's tickets opened, AI events (with model, tier,
accuracy, tokens, cost and latency as the scenario calendar says), that week's features,
feedback, work items and dirty rows; then the same week of the other systems
(``demo_other_week``) appended. Every random stream is seeded from ``(seed, purpose, week)``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.ingest.demo_dirt import Dirt
from outcomes.ingest.demo_draws import open_items, pick
from outcomes.ingest.demo_features import draw_features, feature_table
from outcomes.ingest.demo_feedback import feedback_table
from outcomes.ingest.demo_other_week import other_system_week
from outcomes.ingest.demo_population import Scenario
from outcomes.ingest.demo_scenario import (
    APPROVE_FROM,
    AUTO_FROM,
    CATEGORIES,
    COST_SPIKE_WEEK,
    DAY,
    DRIFT_FROM,
    OUTAGE_WEEK,
    PRICE_CUT,
    REGRESSION_WEEK,
    RETRAIN,
    SEGMENTS,
    SYSTEM,
    SYSTEMS,
    TEAM_SIZES,
    TIERS,
)
from outcomes.ingest.demo_systems import OTHER_SYSTEMS
from outcomes.ingest.demo_text import customer_id_text, ids_text, labels, num_text, ts_text
from outcomes.ingest.demo_work_items import work_items_table


def drift(n: int) -> tuple[float, float]:
    """(persistent, transient) drift strength in week n; transient fades after the retrain."""
    persistent = 0.0 if n < DRIFT_FROM else 0.6 if n == DRIFT_FROM else 1.0
    transient = persistent if n <= RETRAIN else max(0.25, 1.0 - 0.75 * (n - RETRAIN) / 6)
    return persistent, transient


def generate_week(s: Scenario, w: int) -> tuple[dict[str, pa.Table], dict[str, dict[str, int]]]:
    """Week ``w`` (0-based) of every weekly table, dirty rows made, and the dirty counts."""
    rng = np.random.default_rng([s.seed, 2, w])
    n = w + 1
    t0 = int(s.week_ts[w])
    limit = min(t0 + 7 * DAY, s.end_ts)
    n_ev, n_ai, n_ctl = (int(s.n_system[0][w]), int(s.n_ai_items[w]), int(s.n_control[w]))
    n_items = n_ai + n_ctl
    persistent, transient = drift(n)

    # work items (tickets) opened this week; the first n_ai are AI-assisted
    days = max(int(s.days[w]), 1)
    opened, segment, customer = open_items(rng, t0, limit, days, n_items, mean_hour=14.5)
    active = s.active[w]
    item_user = active[rng.integers(0, len(active), n_ai)]
    team = np.concatenate([s.user_team[item_user], pick(rng, TEAM_SIZES, n_ctl)])

    # events: each AI item gets one, the rest are repeat calls on random AI items
    item_of = np.concatenate([np.arange(n_ai), rng.integers(0, max(n_ai, 1), n_ev - n_ai)])
    lag = rng.exponential(900, n_ev).astype(np.int64)
    occurred = np.minimum(opened[item_of] + lag, limit - 1)
    detached = np.zeros(n_ev, dtype=bool)  # ad-hoc calls with no ticket attached
    detached[n_ai:] = rng.random(n_ev - n_ai) < 0.04
    order = np.argsort(occurred, kind="stable")
    item_of, occurred, detached = item_of[order], occurred[order], detached[order]
    # items in order of opening: remap item indices
    item_order = np.argsort(opened, kind="stable")
    rank = np.empty(n_items, dtype=np.int64)
    rank[item_order] = np.arange(n_items)

    ev_segment, ev_customer = segment[item_of], customer[item_of]
    v2 = np.full(n_ev, n > RETRAIN) | ((n == RETRAIN) & (rng.random(n_ev) < 0.5))
    approve = 0.0 if n < APPROVE_FROM else min(0.45, 0.05 + 0.4 * (n - APPROVE_FROM) / 18)
    auto = 0.0 if n < AUTO_FROM else min(0.12, 0.03 + 0.09 * (n - AUTO_FROM) / 14)
    tier = pick(rng, (1 - approve - auto, approve, auto), n_ev)

    num, cat, long_ticket, new_language, new_product = draw_features(
        rng, n_ev, ev_segment, persistent, transient
    )
    category_p = np.array(
        [0.22, 0.30 + 0.10 * transient, 0.28 - 0.15 * transient, 0.05 + 0.05 * transient, 0.15]
    )
    category = pick(rng, category_p, n_ev)
    accuracy = np.where(v2, 0.905, 0.87 if n < DRIFT_FROM else 0.80)  # v1 degrades with drift
    accuracy = accuracy - np.where(v2, 0.03, 0.25) * new_language
    accuracy = accuracy - np.where(v2, 0.02, 0.20) * new_product - 0.06 * (long_ticket & ~v2)
    if n == REGRESSION_WEEK:
        accuracy = accuracy - 0.15 * (v2 & (category == 2))
    correct = rng.random(n_ev) < accuracy
    confidence = np.where(correct, rng.beta(9, 2.2, n_ev), rng.beta(4.5, 3, n_ev))
    prediction = np.where(correct, category, (category + rng.integers(1, 5, n_ev)) % 5)

    tokens_in = 900 + num[:, 0] * 1.4 + num[:, 1] * 350 + rng.lognormal(np.log(1400), 0.35, n_ev)
    weekday = (occurred - t0) // DAY
    if n == COST_SPIKE_WEEK:  # a prompt template change tripled the context, Tue-Thu
        tokens_in = tokens_in * np.where((weekday >= 1) & (weekday <= 3), 3.0, 1.0)
    tokens_in = np.round(tokens_in).astype(np.int64)
    tokens_out = np.round(rng.lognormal(np.log(320), 0.35, n_ev)).astype(np.int64)
    price_in, price_out = (3.0e-6, 15.0e-6) if n < PRICE_CUT else (1.25e-6, 10.0e-6)
    cost = np.round(tokens_in * price_in + tokens_out * price_out, 6)
    latency = rng.lognormal(np.log(np.where(v2, 1050.0, 1250.0)), 0.45) * (tokens_out / 320) ** 0.3
    if n == OUTAGE_WEEK:  # provider outage, Wednesday 13:00-16:00 UTC
        hour = (occurred - t0) % DAY // 3600
        latency = latency * np.where((weekday == 2) & (hour >= 13) & (hour < 16), 6.0, 1.0)
    month = occurred.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) - s.month0
    spent = s.inference_usd[SYSTEM]
    spent += np.bincount(month, weights=cost, minlength=len(spent))

    event_ids = ids_text("E", int(s.event_offset[w]), n_ev, 9)
    item_ids = ids_text("T", int(s.item_offset[w]), n_items, 8)  # in order of opening
    ev_item = pc.take(item_ids, pa.array(rank[item_of]))
    ev_item = pc.if_else(pa.array(detached), pa.scalar(None, pa.string()), ev_item)
    customer_ids = customer_id_text(ev_customer)
    ev_user = pc.take(s.user_ids, pa.array(item_user[item_of]))
    events = pa.table(
        {
            "event_id": event_ids,
            "occurred_at": ts_text(occurred),
            "system": pa.array(np.full(n_ev, SYSTEM)),
            "model_version": pc.take(pa.array(["v1", "v2"]), pa.array(v2.astype(np.int8))),
            "segment": labels(SEGMENTS, ev_segment),
            "action_tier": labels(TIERS, tier),
            "prediction": labels(CATEGORIES, prediction),
            "confidence": num_text(confidence, 4),
            "latency_ms": num_text(latency, 1),
            "tokens_in": num_text(tokens_in, 0),
            "tokens_out": num_text(tokens_out, 0),
            "cost_usd": num_text(cost, 6),
            "user_id": ev_user,
            "work_item_id": ev_item,
            "customer_id": customer_ids,
        }
    )
    features = feature_table(event_ids, num, cat)
    feedback = feedback_table(s, rng, n, event_ids, ev_user, occurred, correct, tier)
    linked = ~detached
    wrong = np.bincount(item_of[linked], weights=~correct[linked], minlength=n_items) > 0
    on_v2 = np.bincount(item_of, weights=v2, minlength=n_items) > 0
    tickets = pa.table({"item_id": item_ids, "customer_id": customer_id_text(customer[item_order])})
    items = work_items_table(s, rng, n, tickets, item_order, opened, team, n_ai, wrong, on_v2)

    dirt = Dirt(np.random.default_rng([s.seed, 3, w]), s.end_ts)
    quota = {t: {k: int(q[w]) for k, q in kinds.items()} for t, kinds in s.quota.items()}
    tables = {
        "ai_events": dirt.events(events, quota["ai_events"], confidence, occurred),
        "ai_features": dirt.features(features, quota["ai_features"]),
        "feedback": dirt.feedback(feedback, quota["feedback"]),
        "work_items": dirt.work_items(items, quota["work_items"]),
    }
    offset = int(s.event_offset[w]) + n_ev
    parts = {name: [t] for name, t in tables.items()}
    for spec in OTHER_SYSTEMS:
        for name, t in other_system_week(s, spec, w, offset).items():
            parts[name].append(t.select(tables[name].column_names).cast(tables[name].schema))
        offset += int(s.n_system[SYSTEMS.index(spec.name)][w])
    return {name: pa.concat_tables(ts) for name, ts in parts.items()}, dirt.counts
