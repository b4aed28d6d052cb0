"""The demo's two other AI systems, as numbers: who uses them, how many items they see, and
how one week of their model inputs, predictions, confidence, tokens and latency is drawn.

- ``invoice-matcher`` (accounts payable): matches supplier invoices to purchase orders; a pilot
  (suggestions only, model im-1.4) until week 8, then production (im-2.0: approvals and
  auto-posting). From week 40 more invoices arrive as scans and phone photos, from new
  suppliers, some in CHF: its confidence falls and its accuracy erodes week by week, and nobody
  fixes it. Its labels come from month-end reconciliation, two to six weeks late.
- ``contract-summariser`` (legal): a pilot from week 20 that few lawyers use; each contract
  costs tens of thousands of tokens and saves little time, so it costs more than it returns.

Confidence is drawn first and correctness from it (``p(correct) = confidence ** 1.15``, the
same in every week), so a change in the inputs moves accuracy only through the confidence mix:
what confidence-based performance estimation assumes.

>>> [s.name for s in OTHER_SYSTEMS]
['invoice-matcher', 'contract-summariser']
>>> int(OTHER_SYSTEMS[1].adoption(np.array([19.0, 20.0]))[0])
0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from outcomes.ingest.demo_draws import pick
from outcomes.ingest.demo_scenario import (
    ALL_TEAMS,
    AP_SIZE,
    AP_TEAM,
    CS_PILOT_FROM,
    IM_DRIFT_FROM,
    IM_PRODUCTION,
    LEGAL_SIZE,
    LEGAL_TEAM,
    WEEKS,
)


@dataclass(frozen=True)
class Draws:
    """One week of one system's events, as arrays (categorical values as codes)."""

    num: np.ndarray  # events x numeric features
    cat: np.ndarray  # events x categorical features (codes)
    confidence: np.ndarray
    correct: np.ndarray
    prediction: np.ndarray  # codes into OtherSystem.predictions
    tier: np.ndarray  # 0 suggest, 1 approve, 2 auto
    model_version: str
    tokens_in: np.ndarray
    tokens_out: np.ndarray
    latency: np.ndarray


@dataclass(frozen=True)
class OtherSystem:
    """A demo system besides ticket-assistant."""

    name: str
    team_name: str
    team_size: int
    start: int  # first week (1-based) with users and events
    item_prefix: str  # work item ids: <prefix>00000001
    events_per_item: float
    numeric: tuple[str, ...]
    categorical: dict[str, tuple[str, ...]]
    predictions: tuple[str, ...]
    adoption: Callable[[np.ndarray], np.ndarray]  # share of its users active in week n
    control_per_item: Callable[[np.ndarray], np.ndarray]  # unassisted items per assisted one
    draw: Callable[[np.random.Generator, int, int], Draws]  # (rng, week n, events)
    label_share: float
    label_delay_days: tuple[float, float]  # uniform range
    minutes: tuple[float, float, float]  # median: unassisted, assisted right, assisted wrong

    @property
    def team(self) -> int:
        return ALL_TEAMS.index(self.team_name)

    def items(
        self, weeks_n: np.ndarray, n_events: np.ndarray, frac: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(assisted, unassisted) work items per week."""
        ai = np.minimum(n_events, np.ceil(n_events / self.events_per_item)).astype(np.int64)
        base = np.maximum(ai, np.round(frac * 2)).astype(float) * (weeks_n >= self.start)
        control = np.round(base * self.control_per_item(weeks_n)).astype(np.int64)
        return ai, control


def invoice_drift(n: int) -> float:
    """Strength of invoice-matcher's input drift in week n: 0 before week 40, then growing
    by 1/13 a week to 1 in week 52; it stays (never fixed)."""
    return float(np.clip((n - IM_DRIFT_FROM + 1) / 13, 0.0, 1.0))


def _correct(rng: np.random.Generator, confidence: np.ndarray) -> np.ndarray:
    return rng.random(len(confidence)) < confidence**1.15


def _draw_invoices(rng: np.random.Generator, n: int, size: int) -> Draws:
    d = invoice_drift(n)
    doc = pick(rng, (0.55 - 0.30 * d, 0.35 - 0.20 * d, 0.10 + 0.20 * d, 0.30 * d), size)
    currency = pick(rng, (0.60 - 0.10 * d, 0.30 - 0.05 * d, 0.10, 0.15 * d), size)
    hard = (doc >= 2) | (currency == 3)
    ocr = np.where(doc <= 1, rng.beta(20, 1.5, size), rng.beta(np.where(doc == 2, 6, 3), 3))
    lines = rng.poisson(4, size) + 1
    num = np.column_stack(
        [
            np.round(rng.lognormal(np.log(2400), 1.0, size), 2),
            lines,
            rng.integers(0, 60, size),
            np.round(rng.lognormal(np.log(900) - 1.2 * d, 0.8, size)),
            np.round(ocr, 3),
        ]
    ).astype(float)
    confidence = np.where(hard, rng.beta(4, 2.6, size), rng.beta(16, 1.6, size))
    correct = _correct(rng, confidence)
    truth = pick(rng, (0.80, 0.12, 0.08), size)
    production = n >= IM_PRODUCTION
    tier = pick(rng, (0.15, 0.45, 0.40) if production else (1.0, 0.0, 0.0), size)
    return Draws(
        num=num,
        cat=np.column_stack([doc, currency]),
        confidence=confidence,
        correct=correct,
        prediction=np.where(correct, truth, (truth + rng.integers(1, 3, size)) % 3),
        tier=tier,
        model_version="im-2.0" if production else "im-1.4",
        tokens_in=np.round(rng.lognormal(np.log(1500), 0.3, size) + 40 * lines).astype(np.int64),
        tokens_out=np.round(rng.lognormal(np.log(110), 0.3, size)).astype(np.int64),
        latency=rng.lognormal(np.log(650), 0.35, size),
    )


def _draw_contracts(rng: np.random.Generator, n: int, size: int) -> Draws:
    pages = np.maximum(1, np.round(rng.lognormal(np.log(18), 0.6, size)))
    num = np.column_stack(
        [pages, rng.poisson(40, size), np.round(rng.lognormal(np.log(700), 0.9, size))]
    ).astype(float)
    confidence = rng.beta(6, 2.5, size)
    correct = _correct(rng, confidence)
    truth = pick(rng, (0.55, 0.30, 0.15), size)
    return Draws(
        num=num,
        cat=np.column_stack(
            [pick(rng, (0.35, 0.25, 0.20, 0.20), size), pick(rng, (0.80, 0.12, 0.08), size)]
        ),
        confidence=confidence,
        correct=correct,
        prediction=np.where(correct, truth, (truth + rng.integers(1, 3, size)) % 3),
        tier=np.zeros(size, dtype=np.int64),
        model_version="cs-0.3",
        tokens_in=np.round(pages * 2300 * rng.lognormal(0, 0.2, size)).astype(np.int64),
        tokens_out=np.round(rng.lognormal(np.log(2400), 0.3, size)).astype(np.int64),
        latency=rng.lognormal(np.log(9000), 0.4, size),
    )


OTHER_SYSTEMS = (
    OtherSystem(
        name="invoice-matcher",
        team_name=AP_TEAM,
        team_size=AP_SIZE,
        start=1,
        item_prefix="AP",
        events_per_item=1.1,
        numeric=(
            "invoice_amount",
            "line_count",
            "days_to_due",
            "supplier_tenure_days",
            "ocr_quality",
        ),
        categorical={
            "document_type": ("pdf", "edi", "scan", "email_image"),  # email_image: drift only
            "currency": ("USD", "EUR", "GBP", "CHF"),  # CHF: drift only
        },
        predictions=("match", "partial_match", "no_match"),
        adoption=lambda n: 0.45 + 0.45 / (1.0 + np.exp(-(n - 10.0) / 3.0)),
        control_per_item=lambda n: np.where(n < IM_PRODUCTION, 1.5, 0.3),
        draw=_draw_invoices,
        label_share=0.60,
        label_delay_days=(14.0, 42.0),
        minutes=(14.0, 3.0, 18.0),
    ),
    OtherSystem(
        name="contract-summariser",
        team_name=LEGAL_TEAM,
        team_size=LEGAL_SIZE,
        start=CS_PILOT_FROM,
        item_prefix="LG",
        events_per_item=1.3,
        numeric=("contract_pages", "clause_count", "counterparty_tenure_days"),
        categorical={
            "contract_type": ("nda", "msa", "dpa", "sow"),
            "contract_language": ("en", "de", "fr"),
        },
        predictions=("low_risk", "medium_risk", "high_risk"),
        adoption=lambda n: np.where(
            n >= CS_PILOT_FROM, 0.18 + 0.07 * (n - CS_PILOT_FROM) / (WEEKS - CS_PILOT_FROM), 0.0
        ),
        control_per_item=lambda n: np.full(len(n), 2.5),
        draw=_draw_contracts,
        label_share=0.50,
        label_delay_days=(0.5, 6.0),
        minutes=(55.0, 40.0, 55.0),
    ),
)
