"""The demo's costs: monthly inference invoices (from the events' own cost), infrastructure,
people and licences, one build cost, and one credit note booked as a negative cost (dirty).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from outcomes.ingest.demo_population import Scenario, month_start
from outcomes.ingest.demo_scenario import RETRAIN


def costs_rows(s: Scenario) -> tuple[list[list[str]], int]:
    """Monthly invoices and accruals, one build cost, and one negative (dirty) credit note.

    Returns the rows and how many of them are dirty."""
    rng = np.random.default_rng([s.seed, 4])
    rows: list[list[str]] = []

    def add(cost_id: str, first: date, last: date, category: str, amount: float,
            vendor: str, ref: str) -> None:  # fmt: skip
        rows.append([cost_id, str(first), str(last), category, f"{amount:.2f}", "USD", vendor, ref])

    build_from = s.start - timedelta(weeks=12)
    add(f"build-{build_from:%Y-%m}", build_from, s.start - timedelta(days=1), "build",
        120_000, "internal", f"PRJ-{build_from:%Y}-017")  # fmt: skip
    retrain_month = month_start(s.week_start_at(RETRAIN - 1).date(), 0)
    for m, usd in enumerate(s.inference_usd):
        first = month_start(s.start, m)
        last = month_start(s.start, m + 1) - timedelta(days=1)
        tag, ref = f"{first:%Y-%m}", f"{first:%Y%m}"
        if last < s.end:  # the current month is not invoiced yet
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
    credit = month_start(s.start, 2)  # dirty: a credit note booked as a negative cost
    add(f"inference-credit-{credit:%Y-%m}", credit, credit, "inference", -350, "Modelworks API",
        f"MW-CN-{credit:%Y%m}")  # fmt: skip
    return rows, 1
