"""The demo's fixed population: calendar, the users of each AI system and their rollout,
weekly volumes per system, and how many dirty rows of each kind fall in each week.

>>> s = Scenario(7, 2_000, date(2026, 3, 4))
>>> s.start, int(s.n_events.sum()), [int(n.sum()) for n in s.n_system]
(datetime.date(2025, 3, 3), 2000, [1300, 560, 140])
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.ingest.demo_scenario import (
    CATEGORICAL_FEATURES,
    DAY,
    DAY_WEIGHTS,
    DIRTY_RATE,
    DIRTY_RULES,
    EVENTS_PER_ITEM,
    NUMERIC_FEATURES,
    SYSTEM_SHARE,
    SYSTEMS,
    TEAM_SIZES,
    TEAM_WAVES,
    TEAMS,
    WEEKS,
)
from outcomes.ingest.demo_systems import OTHER_SYSTEMS


def epoch_seconds(d: date) -> int:
    """Seconds from 1970-01-01 to midnight UTC of ``d``."""
    return (d - date(1970, 1, 1)).days * DAY


def adoption(n: np.ndarray) -> np.ndarray:
    """Share of eligible agents active in week n: 10% -> ~75%."""
    return 0.10 + 0.65 / (1.0 + np.exp(-(n - 20.0) / 4.5))


def _split(weight: np.ndarray, total: int) -> np.ndarray:
    """``total`` spread over the weeks in proportion to ``weight`` (whole numbers, exact sum)."""
    if total == 0 or weight.sum() == 0:
        return np.zeros(len(weight), dtype=np.int64)
    cum = np.round(np.cumsum(weight) / weight.sum() * total).astype(np.int64)
    return np.diff(cum, prepend=0)


class Scenario:
    """Fixed parts of the scenario: calendar, agents, weekly volumes and dirty quotas.

    Users: the support agents of ticket-assistant first (``active``: its active agents per
    week), then the users of each other system (``active_other[system]``). Volumes:
    ``n_system[k]`` events of system ``SYSTEMS[k]`` per week, ``n_events`` their sum.
    ``inference_usd[system]`` (event cost per calendar month) fills as the weeks are generated;
    the invoices of :func:`~outcomes.ingest.demo_costs.costs_rows` are drawn from it.
    """

    def __init__(self, seed: int, events: int, end: date) -> None:
        self.seed, self.end = seed, end
        current = end - timedelta(days=end.weekday())
        self.start = current - timedelta(weeks=WEEKS)
        self.days = np.array([7] * WEEKS + [(end - current).days])
        self.week_ts = epoch_seconds(self.start) + np.arange(WEEKS + 1, dtype=np.int64) * 7 * DAY
        self.end_ts = epoch_seconds(end)
        self.weeks_n = np.arange(1, WEEKS + 2)
        self._agents(np.random.default_rng([seed, 0]))
        self._other_users(np.random.default_rng([seed, 0, 1]))
        self._volumes(events)
        self._dirty_quotas(np.random.default_rng([seed, 1]))
        self.month0 = int(np.datetime64(self.start, "M").astype(np.int64))
        months = int(np.datetime64(end, "M").astype(np.int64)) - self.month0 + 1
        # event cost per system and calendar month, for invoices
        self.inference_usd = {name: np.zeros(months) for name in SYSTEMS}

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
        share = adoption(self.weeks_n.astype(float))
        self.active: list[np.ndarray] = []
        for n, a in zip(self.weeks_n, share, strict=True):
            eligible = (self.user_from <= n) & ((self.user_to == 0) | (self.user_to >= n))
            active = np.flatnonzero(eligible & (propensity < a))
            if len(active) == 0:
                active = np.flatnonzero(eligible)[[np.argmin(propensity[eligible])]]
            self.active.append(active)

    def _other_users(self, rng: np.random.Generator) -> None:
        """The users of invoice-matcher and contract-summariser, numbered after the agents."""
        self.active_other: dict[str, list[np.ndarray]] = {}
        for spec in OTHER_SYSTEMS:
            first = len(self.user_team)
            self.user_team = np.concatenate([self.user_team, np.full(spec.team_size, spec.team)])
            self.user_from = np.concatenate([self.user_from, np.full(spec.team_size, spec.start)])
            self.user_to = np.concatenate([self.user_to, np.zeros(spec.team_size, np.int64)])
            propensity = rng.random(spec.team_size)
            share = spec.adoption(self.weeks_n.astype(float))
            self.active_other[spec.name] = []
            for n, a in zip(self.weeks_n, share, strict=True):
                active = np.flatnonzero((n >= spec.start) & (propensity < a))
                if len(active) == 0 and n >= spec.start:  # someone always tries it
                    active = np.array([np.argmin(propensity)])
                self.active_other[spec.name].append(first + active)
        self.user_ids = pc.cast(pa.array(np.arange(1, len(self.user_team) + 1)), pa.string())
        self.user_ids = pc.binary_join_element_wise("U", pc.utf8_lpad(self.user_ids, 4, "0"), "")

    def _volumes(self, events: int) -> None:
        n = self.weeks_n.astype(float)
        frac = np.array([DAY_WEIGHTS[:d].sum() for d in self.days]) / DAY_WEIGHTS.sum()
        weight = np.array([len(a) for a in self.active]) * (1 + 0.3 * n / WEEKS) * frac
        others = []
        for spec, share in zip(OTHER_SYSTEMS, SYSTEM_SHARE[1:], strict=True):
            busy = np.array([len(a) for a in self.active_other[spec.name]]) * frac
            others.append(_split(busy * (1 + 0.1 * n / WEEKS), round(events * share)))
        self.n_system = [_split(weight, events - sum(int(o.sum()) for o in others)), *others]
        self.n_events = np.sum(self.n_system, axis=0)
        self.other_items: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for spec, n_ev in zip(OTHER_SYSTEMS, others, strict=True):
            ai, control = spec.items(self.weeks_n, n_ev, frac)
            self.other_items[spec.name] = (
                ai,
                control,
                np.concatenate([[0], np.cumsum(ai + control)]),
            )
        n_ta = self.n_system[0]
        self.n_ai_items = np.minimum(n_ta, np.ceil(n_ta / EVENTS_PER_ITEM))
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
        for table, rate in DIRTY_RATE.items():
            self.quota[table] = {}
            for kind in DIRTY_RULES[table]:
                k = max(1, round(rate * base[table]))
                self.quota[table][kind] = np.bincount(
                    rng.choice(WEEKS + 1, k, p=p), minlength=WEEKS + 1
                )

    def week_start_at(self, n: int, day: int = 0, hour: float = 0.0) -> datetime:
        """Week ``n`` (1-based), plus ``day`` days and ``hour`` hours."""
        return datetime.combine(self.start, datetime.min.time()) + timedelta(
            weeks=n - 1, days=day, hours=hour
        )


def month_start(d: date, months_later: int) -> date:
    """First day of the month ``months_later`` months after the month of ``d``.

    >>> month_start(date(2025, 11, 20), 2)
    datetime.date(2026, 1, 1)
    """
    month = d.year * 12 + d.month - 1 + months_later
    return date(month // 12, month % 12 + 1, 1)
