"""Deterministic demo data: a support-ticket investigation assistant over 52 weeks.

The scenario (``/work/shared/DESIGN.md``): one system, ``ticket-assistant``, used by ~120
support agents in 4 teams with a staggered rollout; adoption ramps from 10% to ~75% of
eligible agents; suggestions first, approvals from week 12, a little automation from week 36;
input drift from week 30 (longer tickets, more chat, a new language, a new product area) with
an accuracy dip, and a retrain (model v2) in week 34; an inference price cut in week 26;
incidents; and dirty rows that ingest must quarantine (``DIRTY_RULES``).

Week numbers are 1-based: week 1 is the first of the 52 complete weeks (Monday start) before
the week containing ``end``; week 53 is that partial week, up to ``end`` (exclusive).

Everything is generated week by week with vectorised numpy, so 10M+ events never sit in memory
at once, and every random stream is seeded from ``(seed, purpose, week)``: the same seed, end
and size give byte-identical files.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     s = generate_demo(Path(d), events=2_000, end=date(2026, 3, 4))
>>> s.first_week, s.last_week, s.rows["ai_events"] >= 2_000
(datetime.date(2025, 3, 3), datetime.date(2026, 3, 2), True)
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

WEEKS = 52  # complete weeks; the partial week containing `end` comes on top
PARQUET_ABOVE = 200_000  # fmt="auto": events and features as Parquet above this many events
WEEKS_PER_PART = 13  # Parquet part files hold a quarter each

_CONTRACT_COLUMNS = {  # docs/ARCHITECTURE.md, "Raw contracts", in that order
    "ai_events": "event_id occurred_at system model_version segment action_tier prediction "
    "confidence latency_ms tokens_in tokens_out cost_usd user_id work_item_id customer_id",
    "ai_features": "event_id feature value_num value_cat",
    "feedback": "event_id labeled_at correct accepted overridden reviewer",
    "work_items": "item_id opened_at closed_at team customer_id ai_assisted handle_minutes outcome",
    "users": "user_id team eligible_from eligible_to",
    "costs": "cost_id period_start period_end category amount currency vendor invoice_ref",
    "incidents": "incident_id started_at detected_at resolved_at severity cause",
    "assumptions": "key effective_from value unit owner source note low high",
}
COLUMNS: dict[str, tuple[str, ...]] = {t: tuple(c.split()) for t, c in _CONTRACT_COLUMNS.items()}

# Dirty rows per table: kind -> the quarantine rule ingest is expected to report.
DIRTY_RULES: dict[str, dict[str, str]] = {
    "ai_events": {
        "missing_customer_id": "required",
        "malformed_timestamp": "type",
        "future_timestamp": "not_future",
        "negative_cost": "range",
        "confidence_above_1": "range",
        "unknown_action_tier": "allowed_values",
        "exact_duplicate": "duplicate_key",
        "conflicting_duplicate": "duplicate_key",
    },
    "ai_features": {"both_values": "one_of", "conflicting_duplicate": "duplicate_key"},
    "feedback": {"malformed_timestamp": "type", "conflicting_duplicate": "duplicate_key"},
    "work_items": {
        "missing_customer_id": "required",
        "malformed_timestamp": "type",
        "exact_duplicate": "duplicate_key",
        "conflicting_duplicate": "duplicate_key",
    },
    "costs": {"negative_amount": "range"},
}
# Share of a table's rows made dirty, per kind (about 0.5% of each affected table in all).
_DIRTY_RATE = {
    "ai_events": 0.0006,
    "ai_features": 0.0025,
    "feedback": 0.0025,
    "work_items": 0.00125,
}
_MALFORMED = ("2026-13-45 25:61", "yesterday", "2025-02-30 10:00:00", "15/03/2025 14:00")

SYSTEM = "ticket-assistant"
SEGMENTS = ("enterprise", "mid_market", "smb")
TIERS = ("suggest", "approve", "auto")
CATEGORIES = ("billing", "bug", "how_to", "outage", "account")
TEAMS = ("support-emea", "support-americas", "support-apac", "enterprise-desk")
# fmt: off
NUMERIC_FEATURES = (
    "ticket_length", "attachments", "customer_tenure_days", "prior_tickets_30d", "sentiment",
    "product_age_days", "priority_score", "reply_count",
)
# fmt: on
CATEGORICAL_FEATURES: dict[str, tuple[str, ...]] = {
    "channel": ("email", "web", "chat"),
    "language": ("en", "de", "fr", "es", "pt"),  # "pt" appears only with the drift
    "product_area": ("billing_portal", "api", "dashboard", "integrations", "mobile"),
    "plan": ("starter", "pro", "enterprise"),
}

# The scenario calendar, in 1-based week numbers.
APPROVE_FROM, PRICE_CUT, DRIFT_FROM, RETRAIN, AUTO_FROM = 12, 26, 30, 34, 36
OUTAGE_WEEK, REGRESSION_WEEK, COST_SPIKE_WEEK, PIPELINE_WEEK = 22, 35, 41, 8
TEAM_SIZES, TEAM_WAVES = (34, 30, 28, 28), (1, 5, 11, 19)  # agents; week each team is eligible
_SEGMENT_P = (0.30, 0.40, 0.30)
_CUSTOMERS = (90, 300, 510)  # per segment
_DAY = 86_400
_DAY_WEIGHTS = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.15, 0.1])  # Monday .. Sunday
_EVENTS_PER_ITEM = 1.45

Progress = Callable[[int, float], None]


@dataclass(frozen=True)
class DemoSummary:
    """What ``generate_demo`` wrote: one ingestable path per table, rows and dirty rows."""

    out_dir: Path
    seed: int
    end: date
    first_week: date  # Monday of week 1
    last_week: date  # Monday of the partial week containing `end`
    paths: dict[str, Path]  # table -> file or part directory, for `outcomes ingest PATH --table`
    files: dict[str, list[Path]]
    rows: dict[str, int]  # rows written, dirty rows included
    dirty: dict[str, dict[str, int]]  # table -> kind -> rows (see DIRTY_RULES)
    seconds: float

    @property
    def dirty_rows(self) -> int:
        return sum(n for kinds in self.dirty.values() for n in kinds.values())

    def lines(self) -> list[str]:
        """One line per table, for the CLI."""
        out = [f"demo data {self.first_week} .. {self.end} (seed {self.seed}) in {self.out_dir}"]
        for table, path in self.paths.items():
            kinds = ", ".join(f"{k} {n}" for k, n in self.dirty.get(table, {}).items())
            out.append(
                f"  {table:<12} {self.rows[table]:>12,} rows  {path.name}"
                + (f"  dirty: {kinds}" if kinds else "")
            )
        return out


def generate_demo(
    out_dir: Path,
    seed: int = 7,
    events: int = 60_000,
    end: date | None = None,
    fmt: str = "auto",
    progress: Progress | None = None,
) -> DemoSummary:
    """Write the demo source files of every table under ``out_dir`` and summarise them.

    ``fmt``: ``auto`` (events and features as Parquet part files above 200,000 events, else
    CSV), ``csv`` or ``parquet``. ``progress(rows, rows_per_second)`` is called after each week.
    Files are written to a temporary folder and moved into place at the end; an earlier demo's
    files for the same tables are replaced.
    """
    if fmt not in ("auto", "csv", "parquet"):
        raise ValueError(f"fmt must be auto, csv or parquet, not {fmt!r}")
    if events < 1_000:
        raise ValueError(f"events must be at least 1,000 (got {events:,}): fewer leave weeks empty")
    started = time.perf_counter()
    end = end or datetime.now(UTC).date()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    big = "parquet" if fmt == "parquet" or (fmt == "auto" and events > PARQUET_ABOVE) else "csv"
    tmp = out_dir / ".demo-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()

    try:
        scenario = _Scenario(seed, events, end)
        written, dirty = _write_weekly_tables(scenario, tmp, big, started, progress)
        written["users"] = _write_small_csv(tmp / "users.csv", "users", scenario.users_rows())
        cost_rows, negative = scenario.costs_rows()
        dirty["costs"]["negative_amount"] = negative
        written["costs"] = _write_small_csv(tmp / "costs.csv", "costs", cost_rows)
        written["incidents"] = _write_jsonl(tmp / "incidents.jsonl", scenario.incident_rows())
        written["assumptions"] = _write_small_csv(
            tmp / "assumptions.csv", "assumptions", scenario.assumption_rows()
        )
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    paths: dict[str, Path] = {}
    files: dict[str, list[Path]] = {}
    rows: dict[str, int] = {}
    for table in COLUMNS:
        tmp_path, n = written[table]
        paths[table] = _move_into_place(tmp_path, out_dir)
        files[table] = sorted(paths[table].iterdir()) if paths[table].is_dir() else [paths[table]]
        rows[table] = n
    tmp.rmdir()
    return DemoSummary(
        out_dir=out_dir,
        seed=seed,
        end=end,
        first_week=scenario.start,
        last_week=scenario.start + timedelta(weeks=WEEKS),
        paths=paths,
        files=files,
        rows=rows,
        dirty=dirty,
        seconds=time.perf_counter() - started,
    )


def _write_weekly_tables(
    scenario: _Scenario, tmp: Path, big: str, started: float, progress: Progress | None
) -> tuple[dict[str, tuple[Path, int]], dict[str, dict[str, int]]]:
    """Generate week by week; a writer thread writes week w while week w + 1 is generated
    (at most one week waits, so memory stays at about two weeks of rows)."""
    sinks = {
        "ai_events": _Sink(tmp, "ai_events", big),
        "ai_features": _Sink(tmp, "ai_features", big),
        "feedback": _Sink(tmp, "feedback", "csv"),
        "work_items": _Sink(tmp, "work_items", "csv"),
    }
    dirty: dict[str, dict[str, int]] = {t: dict.fromkeys(k, 0) for t, k in DIRTY_RULES.items()}

    def write(w: int, tables: dict[str, pa.Table]) -> None:
        for name, table in tables.items():
            sinks[name].write(w, table)

    rows_done = 0
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: Future[None] | None = None
            for w in range(WEEKS + 1):
                tables, week_dirty = scenario.week(w)
                if pending is not None:
                    pending.result()
                pending = pool.submit(write, w, tables)
                rows_done += sum(t.num_rows for t in tables.values())
                for table_name, kinds in week_dirty.items():
                    for kind, n in kinds.items():
                        dirty[table_name][kind] += n
                if progress is not None:
                    progress(rows_done, rows_done / max(time.perf_counter() - started, 1e-9))
            if pending is not None:
                pending.result()
    finally:
        written = {name: sink.close() for name, sink in sinks.items()}
    return written, dirty


# --- the scenario -------------------------------------------------------------------------


def _epoch(d: date) -> int:
    return (d - date(1970, 1, 1)).days * _DAY


def _adoption(n: np.ndarray) -> np.ndarray:
    """Share of eligible agents active in week n: 10% -> ~75%."""
    return 0.10 + 0.65 / (1.0 + np.exp(-(n - 20.0) / 4.5))


def _drift(n: int) -> tuple[float, float]:
    """(persistent, transient) drift strength in week n; transient fades after the retrain."""
    persistent = 0.0 if n < DRIFT_FROM else 0.6 if n == DRIFT_FROM else 1.0
    transient = persistent if n <= RETRAIN else max(0.25, 1.0 - 0.75 * (n - RETRAIN) / 6)
    return persistent, transient


def _pick(rng: np.random.Generator, p, size: int) -> np.ndarray:
    """Indices drawn from probabilities ``p`` (vectorised inverse CDF)."""
    cum = np.cumsum(np.asarray(p, dtype=float))
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(size), side="right"), len(cum) - 1)


def _pick_rows(rng: np.random.Generator, p_rows: np.ndarray) -> np.ndarray:
    """Indices drawn from one probability row per draw (shape draws x choices)."""
    cum = np.cumsum(p_rows, axis=1)
    u = rng.random(len(p_rows))[:, None] * cum[:, -1:]
    return np.minimum((u >= cum).sum(axis=1), p_rows.shape[1] - 1)


class _Scenario:
    """Fixed parts of the scenario (calendar, agents, weekly volumes, dirty quotas) and the
    week-by-week generator."""

    def __init__(self, seed: int, events: int, end: date) -> None:
        self.seed, self.end = seed, end
        current = end - timedelta(days=end.weekday())
        self.start = current - timedelta(weeks=WEEKS)
        self.days = np.array([7] * WEEKS + [(end - current).days])
        self.week_ts = _epoch(self.start) + np.arange(WEEKS + 1, dtype=np.int64) * 7 * _DAY
        self.end_ts = _epoch(end)
        self.weeks_n = np.arange(1, WEEKS + 2)
        self._agents(np.random.default_rng([seed, 0]))
        self._volumes(events)
        self._dirty_quotas(np.random.default_rng([seed, 1]))
        self.month0 = int(np.datetime64(self.start, "M").astype(np.int64))
        months = int(np.datetime64(end, "M").astype(np.int64)) - self.month0 + 1
        self.inference_usd = np.zeros(months)  # event cost per calendar month, for invoices

    # fixed parts

    def _agents(self, rng: np.random.Generator) -> None:
        team = np.repeat(np.arange(len(TEAMS)), TEAM_SIZES)
        from_week = np.asarray(TEAM_WAVES)[team]
        hires = 6
        hire_team = rng.integers(0, len(TEAMS), hires)
        hire_from = np.maximum(np.asarray(TEAM_WAVES)[hire_team], rng.integers(24, 47, hires))
        self.user_team = np.concatenate([team, hire_team])
        self.user_from = np.concatenate([from_week, hire_from])
        self.user_to = np.zeros(len(self.user_team), dtype=np.int64)  # last eligible week; 0: stays
        leavers = rng.choice(len(team), 6, replace=False)
        self.user_to[leavers] = np.maximum(self.user_from[leavers] + 6, rng.integers(22, 50, 6))
        propensity = rng.random(len(self.user_team))  # active once adoption passes it
        share = _adoption(self.weeks_n.astype(float))
        self.active: list[np.ndarray] = []
        for n, a in zip(self.weeks_n, share, strict=True):
            eligible = (self.user_from <= n) & ((self.user_to == 0) | (self.user_to >= n))
            active = np.flatnonzero(eligible & (propensity < a))
            if len(active) == 0:
                active = np.flatnonzero(eligible)[[np.argmin(propensity[eligible])]]
            self.active.append(active)
        self.user_ids = pc.cast(pa.array(np.arange(1, len(self.user_team) + 1)), pa.string())
        self.user_ids = pc.binary_join_element_wise("U", pc.utf8_lpad(self.user_ids, 4, "0"), "")

    def _volumes(self, events: int) -> None:
        n = self.weeks_n.astype(float)
        frac = np.array([_DAY_WEIGHTS[:d].sum() for d in self.days]) / _DAY_WEIGHTS.sum()
        weight = np.array([len(a) for a in self.active]) * (1 + 0.3 * n / WEEKS) * frac
        cum = np.round(np.cumsum(weight) / weight.sum() * events).astype(np.int64)
        self.n_events = np.diff(cum, prepend=0)
        self.n_ai_items = np.minimum(self.n_events, np.ceil(self.n_events / _EVENTS_PER_ITEM))
        self.n_ai_items = self.n_ai_items.astype(np.int64)
        growth = 1 + 0.1 * n / WEEKS
        # ticket volume: at most ~72% of a week's tickets are AI-assisted; the rest are control
        k = np.max(self.n_ai_items[:WEEKS] / (0.72 * growth[:WEEKS]))
        volume = k * frac * growth
        self.n_control = np.maximum(np.round(volume - self.n_ai_items), np.round(0.25 * volume))
        self.n_control = self.n_control.astype(np.int64)
        self.event_offset = np.concatenate([[0], np.cumsum(self.n_events)])
        items = self.n_ai_items + self.n_control
        self.item_offset = np.concatenate([[0], np.cumsum(items)])

    def _dirty_quotas(self, rng: np.random.Generator) -> None:
        """Dirty rows per table, kind and week: spread over the complete weeks by volume."""
        p = self.n_events / self.n_events[:WEEKS].sum()
        p[WEEKS] = 0.0
        base = {
            "ai_events": self.n_events.sum(),
            "ai_features": self.n_events.sum()
            * (len(NUMERIC_FEATURES) + len(CATEGORICAL_FEATURES)),
            "feedback": self.n_events.sum() * 0.45,
            "work_items": self.item_offset[-1],
        }
        self.quota: dict[str, dict[str, np.ndarray]] = {}
        for table, rate in _DIRTY_RATE.items():
            self.quota[table] = {}
            for kind in DIRTY_RULES[table]:
                k = max(1, round(rate * base[table]))
                self.quota[table][kind] = np.bincount(
                    rng.choice(WEEKS + 1, k, p=p), minlength=WEEKS + 1
                )

    # one week

    def week(self, w: int) -> tuple[dict[str, pa.Table], dict[str, dict[str, int]]]:
        rng = np.random.default_rng([self.seed, 2, w])
        n = w + 1
        t0 = int(self.week_ts[w])
        limit = min(t0 + 7 * _DAY, self.end_ts)
        n_ev, n_ai, n_ctl = (int(self.n_events[w]), int(self.n_ai_items[w]), int(self.n_control[w]))
        n_items = n_ai + n_ctl
        persistent, transient = _drift(n)

        # work items (tickets) opened this week; the first n_ai are AI-assisted
        days = max(int(self.days[w]), 1)
        day = _pick(rng, _DAY_WEIGHTS[:days], n_items)
        second = np.clip(rng.normal(14.5 * 3600, 3 * 3600, n_items), 0, _DAY - 1).astype(np.int64)
        opened = np.minimum(t0 + day * _DAY + second, limit - 1)
        segment = _pick(rng, _SEGMENT_P, n_items)
        sizes, first = np.asarray(_CUSTOMERS), np.cumsum([0, *_CUSTOMERS[:-1]])
        customer = first[segment] + (rng.random(n_items) * sizes[segment]).astype(np.int64)
        active = self.active[w]
        item_user = active[rng.integers(0, len(active), n_ai)]
        team = np.concatenate([self.user_team[item_user], _pick(rng, TEAM_SIZES, n_ctl)])

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
        tier = _pick(rng, (1 - approve - auto, approve, auto), n_ev)

        num, cat, long_ticket, new_language, new_product = self._features(
            rng, n_ev, ev_segment, persistent, transient
        )
        category_p = np.array(
            [0.22, 0.30 + 0.10 * transient, 0.28 - 0.15 * transient, 0.05 + 0.05 * transient, 0.15]
        )
        category = _pick(rng, category_p, n_ev)
        accuracy = np.where(v2, 0.905, 0.87 if n < DRIFT_FROM else 0.80)  # v1 degrades with drift
        accuracy = accuracy - np.where(v2, 0.03, 0.25) * new_language
        accuracy = accuracy - np.where(v2, 0.02, 0.20) * new_product - 0.06 * (long_ticket & ~v2)
        if n == REGRESSION_WEEK:
            accuracy = accuracy - 0.15 * (v2 & (category == 2))
        correct = rng.random(n_ev) < accuracy
        confidence = np.where(correct, rng.beta(9, 2.2, n_ev), rng.beta(4.5, 3, n_ev))
        prediction = np.where(correct, category, (category + rng.integers(1, 5, n_ev)) % 5)

        tokens_in = (
            900 + num[:, 0] * 1.4 + num[:, 1] * 350 + rng.lognormal(np.log(1400), 0.35, n_ev)
        )
        weekday = (occurred - t0) // _DAY
        if n == COST_SPIKE_WEEK:  # a prompt template change tripled the context, Tue-Thu
            tokens_in = tokens_in * np.where((weekday >= 1) & (weekday <= 3), 3.0, 1.0)
        tokens_in = np.round(tokens_in).astype(np.int64)
        tokens_out = np.round(rng.lognormal(np.log(320), 0.35, n_ev)).astype(np.int64)
        price_in, price_out = (3.0e-6, 15.0e-6) if n < PRICE_CUT else (1.25e-6, 10.0e-6)
        cost = np.round(tokens_in * price_in + tokens_out * price_out, 6)
        latency = (
            rng.lognormal(np.log(np.where(v2, 1050.0, 1250.0)), 0.45) * (tokens_out / 320) ** 0.3
        )
        if n == OUTAGE_WEEK:  # provider outage, Wednesday 13:00-16:00 UTC
            hour = (occurred - t0) % _DAY // 3600
            latency = latency * np.where((weekday == 2) & (hour >= 13) & (hour < 16), 6.0, 1.0)
        month = (
            occurred.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) - self.month0
        )
        self.inference_usd += np.bincount(month, weights=cost, minlength=len(self.inference_usd))

        event_ids = _ids("E", int(self.event_offset[w]), n_ev, 9)
        item_ids = _ids("T", int(self.item_offset[w]), n_items, 8)  # in order of opening
        ev_item = pc.take(item_ids, pa.array(rank[item_of]))
        ev_item = pc.if_else(pa.array(detached), pa.scalar(None, pa.string()), ev_item)
        customer_ids = _customer_ids(ev_customer)
        ev_user = pc.take(self.user_ids, pa.array(item_user[item_of]))
        events = pa.table(
            {
                "event_id": event_ids,
                "occurred_at": _ts(occurred),
                "system": pa.array(np.full(n_ev, SYSTEM)),
                "model_version": pc.take(pa.array(["v1", "v2"]), pa.array(v2.astype(np.int8))),
                "segment": _labels(SEGMENTS, ev_segment),
                "action_tier": _labels(TIERS, tier),
                "prediction": _labels(CATEGORIES, prediction),
                "confidence": _num(confidence, 4),
                "latency_ms": _num(latency, 1),
                "tokens_in": _num(tokens_in, 0),
                "tokens_out": _num(tokens_out, 0),
                "cost_usd": _num(cost, 6),
                "user_id": ev_user,
                "work_item_id": ev_item,
                "customer_id": customer_ids,
            }
        )
        features = _feature_table(event_ids, num, cat)
        feedback = self._feedback(rng, n, event_ids, ev_user, occurred, correct, tier)
        linked = ~detached
        wrong = np.bincount(item_of[linked], weights=~correct[linked], minlength=n_items) > 0
        on_v2 = np.bincount(item_of, weights=v2, minlength=n_items) > 0
        tickets = pa.table(
            {"item_id": item_ids, "customer_id": _customer_ids(customer[item_order])}
        )
        items = self._work_items(rng, n, tickets, item_order, opened, team, n_ai, wrong, on_v2)

        dirt = _Dirt(np.random.default_rng([self.seed, 3, w]), self.end_ts)
        quota = {t: {k: int(q[w]) for k, q in kinds.items()} for t, kinds in self.quota.items()}
        return (
            {
                "ai_events": dirt.events(events, quota["ai_events"], confidence, occurred),
                "ai_features": dirt.features(features, quota["ai_features"]),
                "feedback": dirt.feedback(feedback, quota["feedback"]),
                "work_items": dirt.work_items(items, quota["work_items"]),
            },
            dirt.counts,
        )

    def _features(self, rng, size, segment, persistent, transient):
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
        channel = _pick(
            rng,
            (0.55 - 0.15 * persistent, 0.30 - 0.05 * persistent, 0.15 + 0.20 * persistent),
            size,
        )
        language = _pick(rng, (0.80 - 0.09 * persistent, 0.08, 0.07, 0.05, 0.09 * persistent), size)
        area = np.where(
            new_product,
            3,
            _pick(
                rng, (0.22, 0.25 - 0.04 * persistent, 0.23 - 0.04 * persistent, 0.18, 0.12), size
            ),
        )
        plan_p = np.array([[0.0, 0.1, 0.9], [0.1, 0.8, 0.1], [0.75, 0.25, 0.0]])
        plan = _pick_rows(rng, plan_p[segment])
        cat = np.column_stack([channel, language, area, plan])
        return num, cat, ticket_length > 250, language == 4, new_product

    def _feedback(self, rng, n, event_ids, users, occurred, correct, tier) -> pa.Table:
        size = len(occurred)
        labelled = rng.random(size) < np.asarray([0.45, 0.70, 0.30])[tier]
        u = rng.random(size)
        delay = np.where(
            u < 0.6,
            rng.lognormal(np.log(2 * 3600), 0.8, size),
            np.where(
                u < 0.9,
                rng.lognormal(np.log(2 * _DAY), 0.5, size),
                rng.uniform(8 * _DAY, 20 * _DAY, size),
            ),
        )
        if n == PIPELINE_WEEK:  # the label export stalled for three days
            delay = delay + 3 * _DAY
        labeled_at = occurred + delay.astype(np.int64)
        keep = np.flatnonzero(labelled & (labeled_at < self.end_ts))  # later labels: not yet
        overridden = np.where(correct, rng.random(size) < 0.04, rng.random(size) < 0.85)
        accepted = ~overridden & (rng.random(size) < 0.94)
        judged = rng.random(size) >= 0.03  # reviewer did not judge correctness
        qa = _labels(("QA01", "QA02", "QA03", "QA04"), rng.integers(0, 4, size))
        reviewer = pc.if_else(pa.array(tier == 2), qa, users)
        reviewer = pc.if_else(
            pa.array(rng.random(size) < 0.02), pa.scalar(None, pa.string()), reviewer
        )
        idx = pa.array(keep)
        return pa.table(
            {
                "event_id": pc.take(event_ids, idx),
                "labeled_at": _ts(labeled_at[keep]),
                "correct": pc.cast(pa.array(correct[keep], mask=~judged[keep]), pa.string()),
                "accepted": pc.cast(pa.array(accepted[keep]), pa.string()),
                "overridden": pc.cast(pa.array(overridden[keep]), pa.string()),
                "reviewer": pc.take(reviewer, idx),
            }
        )

    def _work_items(self, rng, n, tickets, order, opened, team, n_ai, wrong, on_v2) -> pa.Table:
        """Tickets of one week; ``tickets`` has their ids and customers in opening ``order``."""
        size = len(opened)
        ai = np.arange(size) < n_ai
        team_factor = np.asarray([0.95, 1.05, 1.0, 1.02])[team]
        ai_median = 25.0 - 5.0 * min(1.0, (n - 1) / 40)
        ai_median *= np.where(on_v2, 0.95, np.where(n >= DRIFT_FROM, 1.3, 1.0))
        median = np.where(ai, ai_median * np.where(wrong, 1.5, 1.0), 45.0) * team_factor
        handle = rng.lognormal(np.log(median), np.where(ai, 0.5, 0.45))
        outcome = _pick_rows(
            rng,
            np.where(
                (ai & wrong)[:, None], np.array([0.72, 0.20, 0.08]), np.array([0.83, 0.10, 0.07])
            ),
        )
        handle = np.where(outcome == 2, handle * 0.2, handle)  # duplicates close fast
        wait = rng.lognormal(np.log(5 * 3600), 1.0, size)
        closed = opened + (wait + handle * 60).astype(np.int64)
        still_open = (closed >= self.end_ts) | (rng.random(size) < 0.01)
        outcome = np.where(still_open, 3, outcome)
        o = order
        closed_ts = pc.if_else(
            pa.array(still_open[o]), pa.scalar(None, pa.string()), _ts(closed[o])
        )
        minutes = pc.if_else(
            pa.array(still_open[o]), pa.scalar(None, pa.string()), _num(handle[o], 1)
        )
        return pa.table(
            {
                "item_id": tickets["item_id"],
                "opened_at": _ts(opened[o]),
                "closed_at": closed_ts,
                "team": _labels(TEAMS, team[o]),
                "customer_id": tickets["customer_id"],
                "ai_assisted": pc.cast(pa.array(ai[o]), pa.string()),
                "handle_minutes": minutes,
                "outcome": _labels(("resolved", "escalated", "duplicate", "open"), outcome[o]),
            }
        )

    # small tables

    def _week_start(self, n: int, day: int = 0, hour: float = 0.0) -> datetime:
        return datetime.combine(self.start, datetime.min.time()) + timedelta(
            weeks=n - 1, days=day, hours=hour
        )

    def users_rows(self) -> list[list[str]]:
        rows = []
        for i, (team, first, last) in enumerate(
            zip(self.user_team, self.user_from, self.user_to, strict=True)
        ):
            eligible_to = "" if last == 0 else str(self._week_start(int(last), 6).date())
            eligible_from = str(self._week_start(int(first)).date())
            rows.append([f"U{i + 1:04d}", TEAMS[team], eligible_from, eligible_to])
        return rows

    def costs_rows(self) -> tuple[list[list[str]], int]:
        """Monthly invoices and accruals, one build cost, and one negative (dirty) credit note.

        Returns the rows and how many of them are dirty."""
        rng = np.random.default_rng([self.seed, 4])
        rows: list[list[str]] = []

        def add(cost_id: str, first: date, last: date, category: str, amount: float,
                vendor: str, ref: str) -> None:  # fmt: skip
            rows.append(
                [cost_id, str(first), str(last), category, f"{amount:.2f}", "USD", vendor, ref]
            )

        build_from = self.start - timedelta(weeks=12)
        add(f"build-{build_from:%Y-%m}", build_from, self.start - timedelta(days=1), "build",
            120_000, "internal", f"PRJ-{build_from:%Y}-017")  # fmt: skip
        retrain_month = _month_start(self._week_start(RETRAIN - 1).date(), 0)
        for m, usd in enumerate(self.inference_usd):
            first = _month_start(self.start, m)
            last = _month_start(self.start, m + 1) - timedelta(days=1)
            tag, ref = f"{first:%Y-%m}", f"{first:%Y%m}"
            if last < self.end:  # the current month is not invoiced yet
                amount = usd * (1 + rng.uniform(-0.02, 0.02))
                add(
                    f"inference-{tag}",
                    first,
                    last,
                    "inference",
                    amount,
                    "Modelworks API",
                    f"MW-{ref}",
                )
            add(f"infrastructure-{tag}", first, last, "infrastructure", 1_850, "Nimbus Cloud",
                f"NC-{ref}-4411")  # fmt: skip
            if first == retrain_month:  # GPU hours for the v2 retrain
                add(f"infrastructure-retrain-{tag}", first, last, "infrastructure", 4_200,
                    "Nimbus Cloud", f"NC-{ref}-4420")  # fmt: skip
            add(f"people-{tag}", first, last, "people", 9_800, "internal", "")
            add(f"licence-{tag}", first, last, "licence", 1_200, "HelpDesk Co", f"HD-{ref}")
        credit = _month_start(self.start, 2)  # dirty: a credit note booked as a negative cost
        add(f"inference-credit-{credit:%Y-%m}", credit, credit, "inference", -350, "Modelworks API",
            f"MW-CN-{credit:%Y%m}")  # fmt: skip
        return rows, 1

    def incident_rows(self) -> list[dict[str, object]]:
        def at(n: int, day: int, hour: float) -> str:
            return f"{self._week_start(n, day, hour):%Y-%m-%d %H:%M:%S}"

        # fmt: off
        spec = [  # id, started, detected, resolved (None: still open), severity, cause
            ("INC-0001", at(PIPELINE_WEEK, 1, 6), at(PIPELINE_WEEK, 3, 9.5),
             at(PIPELINE_WEEK, 4, 17), "sev3", "data_pipeline"),
            ("INC-0002", at(OUTAGE_WEEK, 2, 13), at(OUTAGE_WEEK, 2, 13.2),
             at(OUTAGE_WEEK, 2, 16.1), "sev2", "outage"),
            ("INC-0003", at(DRIFT_FROM, 0, 0), at(DRIFT_FROM + 1, 3, 10),
             at(RETRAIN, 1, 12), "sev2", "data_drift"),
            ("INC-0004", at(REGRESSION_WEEK, 0, 8), at(REGRESSION_WEEK, 2, 15),
             at(REGRESSION_WEEK + 1, 0, 11), "sev3", "model_regression"),
            ("INC-0005", at(COST_SPIKE_WEEK, 1, 0), at(COST_SPIKE_WEEK, 3, 8),
             at(COST_SPIKE_WEEK, 4, 10), "sev3", "cost_spike"),
            ("INC-0006", at(47, 0, 8), at(47, 0, 9), at(47, 0, 15), "sev4", "other"),
            ("INC-0007", at(51, 3, 3), at(51, 3, 7), None, "sev4", "data_pipeline"),
        ]
        # fmt: on
        return [dict(zip(COLUMNS["incidents"], row, strict=True)) for row in spec]

    def assumption_rows(self) -> list[list[str]]:
        text = _ASSUMPTIONS.format(
            start=self.start,
            pay_review=_month_start(self._week_start(27).date(), 1),  # mid-year
            finance="finance@example.com",
            ops="support-ops@example.com",
            ml="ml-platform@example.com",
        )
        return list(csv.reader(text.strip().splitlines()))


_ASSUMPTIONS = """
loaded_hourly_cost,{start},62.50,USD/hour,{finance},"FY payroll model, support L2","Salary, benefits and overhead per productive hour",50,80
loaded_hourly_cost,{pay_review},66.00,USD/hour,{finance},Annual pay review,Mid-year pay rise of 5.6%,52,84
baseline_handle_minutes,{start},45,minutes,{ops},"Time study, 400 tickets before launch",Median handle time without the assistant,40,50
cost_per_error,{start},45,USD,{ops},Escalation and credit cost per misrouted ticket,,25,90
baseline_error_rate,{start},0.20,ratio,{ops},QA sample before launch,Share of tickets misrouted or misdiagnosed without the assistant,0.15,0.25
build_cost,{start},120000,USD,{finance},Project ledger PRJ-017,,110000,140000
build_amortisation_months,{start},24,months,{finance},Finance policy for internal software,,12,36
monthly_budget,{start},15000,USD/month,{ml},Inference budget FY,Approved inference spend per month at full rollout,12000,18000
projected_monthly_volume,{start},250000,events/month,{ops},Rollout plan: every support region,Calls per month at full rollout,150000,400000
headroom,{start},3,x,{ml},Capacity policy,Peak-to-average safety factor,2,5
"""


# --- dirty rows -----------------------------------------------------------------------------


class _Dirt:
    """Makes a week's chosen rows dirty and counts them by table and kind."""

    def __init__(self, rng: np.random.Generator, end_ts: int) -> None:
        self.rng, self.end_ts = rng, end_ts
        self.counts: dict[str, dict[str, int]] = {}

    def _choose(self, table: str, quota: dict[str, int], rows: int) -> dict[str, np.ndarray]:
        """Disjoint row indices per kind (fewer if the week is short of rows)."""
        picks = np.sort(self.rng.choice(rows, min(sum(quota.values()), rows), replace=False))
        picks = self.rng.permutation(picks)
        out, at = {}, 0
        for kind, k in quota.items():
            out[kind] = np.sort(picks[at : at + k])
            at += len(out[kind])
        self.counts[table] = {kind: len(idx) for kind, idx in out.items()}
        return out

    def _malformed(self, k: int) -> pa.Array:
        return _labels(_MALFORMED, self.rng.integers(0, len(_MALFORMED), k))

    def events(self, t: pa.Table, quota, confidence, occurred) -> pa.Table:
        pick = self._choose("ai_events", quota, t.num_rows)
        t = _set(t, "customer_id", pick["missing_customer_id"], None)
        t = _set(
            t,
            "occurred_at",
            pick["malformed_timestamp"],
            self._malformed(len(pick["malformed_timestamp"])),
        )
        future = occurred[pick["future_timestamp"]] % _DAY + self.end_ts + 365 * _DAY
        t = _set(t, "occurred_at", pick["future_timestamp"], _ts(future))
        negative = pc.binary_join_element_wise("-", t["cost_usd"].take(pick["negative_cost"]), "")
        t = _set(t, "cost_usd", pick["negative_cost"], negative)
        percent = np.maximum(
            confidence[pick["confidence_above_1"]] * 100, 1.5
        )  # sent as a percentage
        t = _set(t, "confidence", pick["confidence_above_1"], _num(percent, 2))
        tiers = _labels(("autopilot", "manual"), np.arange(len(pick["unknown_action_tier"])) % 2)
        t = _set(t, "action_tier", pick["unknown_action_tier"], tiers)
        conflict = pick["conflicting_duplicate"]
        changed = _num(np.round(confidence[conflict] * 0.5 + 0.01, 4), 4)
        return _with_copies(
            t, pick["exact_duplicate"], conflict, lambda c: _replace(c, "confidence", changed)
        )

    def features(self, t: pa.Table, quota) -> pa.Table:
        # only numeric-feature rows: the row of event i, numeric feature f is i * 12 + f
        width = len(NUMERIC_FEATURES) + len(CATEGORICAL_FEATURES)
        slots = t.num_rows // width * len(NUMERIC_FEATURES)
        pick = self._choose("ai_features", quota, slots)
        pick = {
            k: v // len(NUMERIC_FEATURES) * width + v % len(NUMERIC_FEATURES)
            for k, v in pick.items()
        }
        both = pick["both_values"]
        t = _set(t, "value_cat", both, pa.array(["n/a"] * len(both), pa.string()))
        conflict = pick["conflicting_duplicate"]
        values = np.asarray(
            pc.cast(t["value_num"].take(conflict), pa.float64()).to_numpy(zero_copy_only=False)
        )
        changed = _num(values * 2 + 1, 3)
        return _with_copies(
            t, np.array([], dtype=np.int64), conflict, lambda c: _replace(c, "value_num", changed)
        )

    def feedback(self, t: pa.Table, quota) -> pa.Table:
        pick = self._choose("feedback", quota, t.num_rows)
        bad = pick["malformed_timestamp"]
        t = _set(t, "labeled_at", bad, self._malformed(len(bad)))
        conflict = pick["conflicting_duplicate"]
        flipped = pc.if_else(pc.equal(t["accepted"].take(conflict), "true"), "false", "true")
        return _with_copies(
            t, np.array([], dtype=np.int64), conflict, lambda c: _replace(c, "accepted", flipped)
        )

    def work_items(self, t: pa.Table, quota) -> pa.Table:
        pick = self._choose("work_items", quota, t.num_rows)
        t = _set(t, "customer_id", pick["missing_customer_id"], None)
        bad = pick["malformed_timestamp"]
        t = _set(t, "opened_at", bad, self._malformed(len(bad)))
        conflict = pick["conflicting_duplicate"]
        other = pc.if_else(
            pc.equal(t["outcome"].take(conflict), "escalated"), "resolved", "escalated"
        )
        return _with_copies(
            t, pick["exact_duplicate"], conflict, lambda c: _replace(c, "outcome", other)
        )


def _month_start(d: date, months_later: int) -> date:
    """First day of the month ``months_later`` months after the month of ``d``.

    >>> _month_start(date(2025, 11, 20), 2)
    datetime.date(2026, 1, 1)
    """
    month = d.year * 12 + d.month - 1 + months_later
    return date(month // 12, month % 12 + 1, 1)


def _set(t: pa.Table, column: str, rows: np.ndarray, values) -> pa.Table:
    """``t`` with ``column`` replaced at ``rows`` by ``values`` (None: null)."""
    if len(rows) == 0:
        return t
    mask = np.zeros(t.num_rows, dtype=bool)
    mask[rows] = True
    col = t[column].combine_chunks()
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values is None:
        new = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), col)
    else:
        new = pc.replace_with_mask(col, pa.array(mask), values)
    return t.set_column(t.schema.get_field_index(column), column, new)


def _replace(t: pa.Table, column: str, values: pa.Array) -> pa.Table:
    return t.set_column(t.schema.get_field_index(column), column, values)


def _with_copies(t: pa.Table, exact: np.ndarray, conflict: np.ndarray, change) -> pa.Table:
    """Append a verbatim copy of each ``exact`` row and a changed copy of each ``conflict`` row
    (after the originals, so an original is the occurrence that ingest keeps)."""
    if len(exact) + len(conflict) == 0:
        return t
    return pa.concat_tables([t, t.take(exact), change(t.take(conflict))])


# --- formatting and files -------------------------------------------------------------------


def _num(x: np.ndarray, decimals: int) -> pa.Array:
    """Numbers as text, rounded; shortest form ('45', '0.8734')."""
    return pc.cast(pa.array(np.round(np.asarray(x, dtype=float), decimals) + 0.0), pa.string())


def _ts(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds as 'YYYY-MM-DD HH:MM:SS' (UTC)."""
    return pc.cast(pa.array(np.asarray(seconds, dtype=np.int64), pa.timestamp("s")), pa.string())


def _ids(prefix: str, first: int, count: int, width: int) -> pa.Array:
    digits = pc.cast(pa.array(np.arange(first + 1, first + count + 1)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width, "0"), "")


def _customer_ids(index: np.ndarray) -> pa.Array:
    return _ids_at("C", index, 5)


def _ids_at(prefix: str, index: np.ndarray, width: int) -> pa.Array:
    digits = pc.cast(pa.array(np.asarray(index, dtype=np.int64) + 1), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width, "0"), "")


def _labels(labels: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    return pc.take(pa.array(labels, pa.string()), pa.array(np.asarray(codes, dtype=np.int32)))


def _feature_table(event_ids: pa.Array, num: np.ndarray, cat: np.ndarray) -> pa.Table:
    """Long form: one row per event and feature, numeric features first."""
    size, n_num, n_cat = len(num), num.shape[1], cat.shape[1]
    width = n_num + n_cat
    values = np.concatenate([num, np.full((size, n_cat), np.nan)], axis=1).ravel()
    offsets = np.cumsum([0] + [len(v) for v in CATEGORICAL_FEATURES.values()])[:-1]
    codes = np.concatenate([np.full((size, n_num), -1), cat + offsets], axis=1).ravel()
    vocabulary = pa.array([v for vs in CATEGORICAL_FEATURES.values() for v in vs], pa.string())
    names = pa.array([*NUMERIC_FEATURES, *CATEGORICAL_FEATURES], pa.string())
    return pa.table(
        {
            "event_id": pc.take(event_ids, pa.array(np.repeat(np.arange(size), width))),
            "feature": pc.take(names, pa.array(np.tile(np.arange(width), size))),
            "value_num": pc.cast(pa.array(values, from_pandas=True), pa.string()),
            "value_cat": pc.take(vocabulary, pa.array(codes, mask=codes < 0, type=pa.int32())),
        }
    )


class _Sink:
    """One table's output: a single CSV file, or Parquet part files (one per quarter, one row
    group per week). Every column is text, so dirty values survive; ingest reads text."""

    def __init__(self, root: Path, table: str, fmt: str) -> None:
        self.root, self.table, self.fmt = root, table, fmt
        self.rows, self.part = 0, -1
        self.schema = pa.schema([(c, pa.string()) for c in COLUMNS[table]])
        self.handle = None
        self.writer: pa_csv.CSVWriter | pq.ParquetWriter | None = None
        if fmt == "csv":
            self.path = root / f"{table}.csv"
            self.handle = open(self.path, "wb")  # noqa: SIM115 - closed in close()
            self.handle.write((",".join(COLUMNS[table]) + "\n").encode())
            options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
            self.writer = pa_csv.CSVWriter(self.handle, self.schema, write_options=options)
        else:
            self.path = root / table
            self.path.mkdir()

    def write(self, week: int, t: pa.Table) -> None:
        t = t.select(list(COLUMNS[self.table])).cast(self.schema)
        if self.fmt == "parquet":
            part = min(week // WEEKS_PER_PART, WEEKS // WEEKS_PER_PART - 1)
            if part != self.part:
                if self.writer is not None:
                    self.writer.close()
                self.part = part
                self.writer = pq.ParquetWriter(
                    self.path / f"part-{part:03d}.parquet", self.schema, compression="zstd"
                )
        assert self.writer is not None
        if t.num_rows:
            self.writer.write_table(t)
        self.rows += t.num_rows

    def close(self) -> tuple[Path, int]:
        if self.writer is not None:
            self.writer.close()
        if self.handle is not None:
            self.handle.close()
        return self.path, self.rows


def _write_small_csv(path: Path, table: str, rows: list[list[str]]) -> tuple[Path, int]:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS[table])
        writer.writerows(rows)
    return path, len(rows)


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> tuple[Path, int]:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    return path, len(rows)


def _move_into_place(tmp_path: Path, out_dir: Path) -> Path:
    """Replace any earlier demo output of the same table (file or part folder) by ``tmp_path``."""
    table = tmp_path.name.split(".")[0]
    for ext in ("csv", "parquet", "jsonl"):
        (out_dir / f"{table}.{ext}").unlink(missing_ok=True)
    if (out_dir / table).is_dir():
        shutil.rmtree(out_dir / table)
    target = out_dir / tmp_path.name
    os.replace(tmp_path, target)
    return target
