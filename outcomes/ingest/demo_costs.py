"""The demo's costs: monthly inference invoices per system (from the events' own cost), each
system's people, licences and build, shared platform costs (system empty, split by the driver
``allocate_by`` names), and one credit note booked as a negative cost (dirty).

Shared lines: infrastructure (allocate_by empty, so by events), the AI platform team (by hours
saved) and the observability licence (equally).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from outcomes.ingest.demo_population import Scenario, month_start
from outcomes.ingest.demo_scenario import CS_PILOT_FROM, RETRAIN, SYSTEMS

TA, IM, CS = SYSTEMS
# system -> (monthly people cost, monthly licence cost and vendor, build cost, weeks of build)
_OWN = {
    TA: (9_800, (1_200, "HelpDesk Co", "HD"), 120_000, 12),
    IM: (2_500, None, 60_000, 10),
    CS: (3_000, (2_800, "LexiSum", "LX"), 45_000, 8),
}
_START_WEEK = {TA: 1, IM: 1, CS: CS_PILOT_FROM}


def costs_rows(s: Scenario) -> tuple[list[list[str]], int]:
    """Monthly invoices and accruals, a build cost per system, and one negative (dirty) credit
    note. Returns the rows and how many of them are dirty."""
    rng = np.random.default_rng([s.seed, 4])
    rows: list[list[str]] = []

    def add(cost_id: str, first: date, last: date, category: str, amount: float,
            vendor: str, ref: str, system: str = "", allocate_by: str = "") -> None:  # fmt: skip
        rows.append([cost_id, str(first), str(last), category, f"{amount:.2f}", "USD", vendor,
                     ref, system, allocate_by])  # fmt: skip

    for system, (_, _, build, weeks) in _OWN.items():
        live = s.week_start_at(_START_WEEK[system]).date()
        build_from = live - timedelta(weeks=weeks)
        suffix = "" if system == TA else f"{system}-"
        add(f"build-{suffix}{build_from:%Y-%m}", build_from, live - timedelta(days=1), "build",
            build, "internal", f"PRJ-{build_from:%Y}-{SYSTEMS.index(system) + 17:03d}", system)  # fmt: skip
    retrain_month = month_start(s.week_start_at(RETRAIN - 1).date(), 0)
    pilot_month = month_start(s.week_start_at(CS_PILOT_FROM).date(), 0)
    for m in range(len(s.inference_usd[TA])):
        first = month_start(s.start, m)
        last = month_start(s.start, m + 1) - timedelta(days=1)
        tag, ref = f"{first:%Y-%m}", f"{first:%Y%m}"
        for system in SYSTEMS:
            usd = s.inference_usd[system][m]
            if last < s.end and usd > 0:  # the current month is not invoiced yet
                suffix = "" if system == TA else f"{system}-"
                amount = usd * (1 + rng.uniform(-0.02, 0.02))
                add(f"inference-{suffix}{tag}", first, last, "inference", amount,
                    "Modelworks API", f"MW-{ref}-{SYSTEMS.index(system) + 1}", system)  # fmt: skip
        add(
            f"infrastructure-{tag}",
            first,
            last,
            "infrastructure",
            2_400,
            "Nimbus Cloud",
            f"NC-{ref}-4411",
        )  # fmt: skip  (shared; allocate_by empty: by events)
        if first == retrain_month:  # GPU hours for ticket-assistant's v2 retrain
            add(f"infrastructure-retrain-{tag}", first, last, "infrastructure", 4_200,
                "Nimbus Cloud", f"NC-{ref}-4420", TA)  # fmt: skip
        add(f"people-platform-{tag}", first, last, "people", 2_500, "internal", "", "",
            "hours_saved")  # fmt: skip
        add(f"licence-observability-{tag}", first, last, "licence", 600, "Watchtower",
            f"WT-{ref}", "", "equal")  # fmt: skip
        for system, (people, licence, _, _) in _OWN.items():
            if system == CS and first < pilot_month:
                continue
            suffix = "" if system == TA else f"{system}-"
            add(f"people-{suffix}{tag}", first, last, "people", people, "internal", "", system)
            if licence is not None:
                usd, vendor, code = licence
                add(f"licence-{suffix}{tag}", first, last, "licence", usd, vendor,
                    f"{code}-{ref}", system)  # fmt: skip
    credit = month_start(s.start, 2)  # dirty: a credit note booked as a negative cost
    add(f"inference-credit-{credit:%Y-%m}", credit, credit, "inference", -350, "Modelworks API",
        f"MW-CN-{credit:%Y%m}", TA)  # fmt: skip
    return rows, 1
