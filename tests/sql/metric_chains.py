"""Metrics that read other metrics, listed in the order a harness run must create them.

:func:`tests.sqlharness.run_sql` creates the metric tables in the order it is given; a metric
that reads another (``metrics.inference_cost``) needs that one created first.
"""

from __future__ import annotations

# the projection reads the unit cost, which divides the summed inference cost by its events
PROJECTED_COST = (
    "inference_cost",
    "cost_per_inference",
    "projected_inference_cost",
    "projected_budget_ratio",
)
