"""Evidently 0.7.23 per-column drift (PSI and KS), run in benchmarks/.venv-evidently
(Evidently does not import under pandas 3): ``python evidently_drift.py WIDE.parquet WEEKS``.

Reference = the first 4 weeks of the wide table (as the product's fixed reference); for each
sampled week one Report with ValueDrift(method="psi") for every feature and ValueDrift(
method="ks") for every numeric one. Prints JSON: seconds per week (sampled), weeks in all.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import pandas as pd
import pyarrow.parquet as pq
from evidently import DataDefinition, Dataset, Report
from evidently.metrics import ValueDrift

warnings.filterwarnings("ignore")
NUMERIC = [
    "ticket_length",
    "attachments",
    "customer_tenure_days",
    "prior_tickets_30d",
    "sentiment",
    "product_age_days",
    "priority_score",
    "reply_count",
]
CATEGORICAL = ["channel", "language", "product_area", "plan"]


def main() -> None:
    path, sample = sys.argv[1], int(sys.argv[2])
    t0 = time.perf_counter()
    weeks = sorted(pq.read_table(path, columns=["week_start"]).column(0).unique().to_pylist())
    reference_weeks, tested = weeks[:4], weeks
    ref = pd.read_parquet(path, filters=[("week_start", "in", reference_weeks)])
    definition = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    ref_ds = Dataset.from_pandas(ref[NUMERIC + CATEGORICAL], data_definition=definition)
    load_reference = time.perf_counter() - t0
    step = max(1, len(tested) // sample)
    picked = tested[::step][:sample]
    per_week, results = [], {}
    metrics = [ValueDrift(column=c, method="psi") for c in NUMERIC + CATEGORICAL] + [
        ValueDrift(column=c, method="ks") for c in NUMERIC
    ]
    for w in picked:
        t = time.perf_counter()
        cur = pd.read_parquet(path, filters=[("week_start", "==", w)])
        cur_ds = Dataset.from_pandas(cur[NUMERIC + CATEGORICAL], data_definition=definition)
        snapshot = Report(metrics).run(current_data=cur_ds, reference_data=ref_ds)
        values = [m.get("value") for m in snapshot.dict().get("metrics", [])]
        per_week.append(time.perf_counter() - t)
        results[str(w)] = values[:3]
    mean = sum(per_week) / len(per_week)
    print(
        json.dumps(
            {
                "weeks_total": len(tested),
                "weeks_timed": len(picked),
                "seconds_per_week": per_week,
                "reference_load_seconds": load_reference,
                "extrapolated_seconds": load_reference + mean * len(tested),
                "sample_values": results,
                "evidently": __import__("evidently").__version__,
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main()
