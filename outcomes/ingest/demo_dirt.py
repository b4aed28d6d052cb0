"""Dirty demo rows: each week, chosen rows are broken the way real exports break (missing ids,
malformed or future timestamps, out-of-range values, duplicates) so ingest must quarantine them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.ingest.demo_scenario import CATEGORICAL_FEATURES, DAY, MALFORMED, NUMERIC_FEATURES
from outcomes.ingest.demo_text import labels, num_text, ts_text

NO_ROWS = np.array([], dtype=np.int64)  # no verbatim copies: this table has no exact duplicates


class Dirt:
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
        return labels(MALFORMED, self.rng.integers(0, len(MALFORMED), k))

    def events(self, t: pa.Table, quota, confidence, occurred) -> pa.Table:
        """One week's AI events with their dirty rows (and duplicates appended)."""
        pick = self._choose("ai_events", quota, t.num_rows)
        t = set_rows(t, "customer_id", pick["missing_customer_id"], None)
        t = set_rows(
            t,
            "occurred_at",
            pick["malformed_timestamp"],
            self._malformed(len(pick["malformed_timestamp"])),
        )
        future = occurred[pick["future_timestamp"]] % DAY + self.end_ts + 365 * DAY
        t = set_rows(t, "occurred_at", pick["future_timestamp"], ts_text(future))
        negative = pc.binary_join_element_wise("-", t["cost_usd"].take(pick["negative_cost"]), "")
        t = set_rows(t, "cost_usd", pick["negative_cost"], negative)
        percent = np.maximum(
            confidence[pick["confidence_above_1"]] * 100, 1.5
        )  # sent as a percentage
        t = set_rows(t, "confidence", pick["confidence_above_1"], num_text(percent, 2))
        tiers = labels(("autopilot", "manual"), np.arange(len(pick["unknown_action_tier"])) % 2)
        t = set_rows(t, "action_tier", pick["unknown_action_tier"], tiers)
        conflict = pick["conflicting_duplicate"]
        changed = num_text(np.round(confidence[conflict] * 0.5 + 0.01, 4), 4)
        return with_copies(
            t, pick["exact_duplicate"], conflict, lambda c: replace_column(c, "confidence", changed)
        )

    def features(self, t: pa.Table, quota) -> pa.Table:
        """One week's feature rows with their dirty rows."""
        # only numeric-feature rows: the row of event i, numeric feature f is i * 12 + f
        width = len(NUMERIC_FEATURES) + len(CATEGORICAL_FEATURES)
        slots = t.num_rows // width * len(NUMERIC_FEATURES)
        pick = self._choose("ai_features", quota, slots)
        pick = {
            k: v // len(NUMERIC_FEATURES) * width + v % len(NUMERIC_FEATURES)
            for k, v in pick.items()
        }
        both = pick["both_values"]
        t = set_rows(t, "value_cat", both, pa.array(["n/a"] * len(both), pa.string()))
        conflict = pick["conflicting_duplicate"]
        values = np.asarray(
            pc.cast(t["value_num"].take(conflict), pa.float64()).to_numpy(zero_copy_only=False)
        )
        changed = num_text(values * 2 + 1, 3)
        return with_copies(t, NO_ROWS, conflict, lambda c: replace_column(c, "value_num", changed))

    def feedback(self, t: pa.Table, quota) -> pa.Table:
        """One week's feedback rows with their dirty rows."""
        pick = self._choose("feedback", quota, t.num_rows)
        bad = pick["malformed_timestamp"]
        t = set_rows(t, "labeled_at", bad, self._malformed(len(bad)))
        conflict = pick["conflicting_duplicate"]
        flipped = pc.if_else(pc.equal(t["accepted"].take(conflict), "true"), "false", "true")
        return with_copies(t, NO_ROWS, conflict, lambda c: replace_column(c, "accepted", flipped))

    def work_items(self, t: pa.Table, quota) -> pa.Table:
        """One week's work items with their dirty rows."""
        pick = self._choose("work_items", quota, t.num_rows)
        t = set_rows(t, "customer_id", pick["missing_customer_id"], None)
        bad = pick["malformed_timestamp"]
        t = set_rows(t, "opened_at", bad, self._malformed(len(bad)))
        conflict = pick["conflicting_duplicate"]
        other = pc.if_else(
            pc.equal(t["outcome"].take(conflict), "escalated"), "resolved", "escalated"
        )
        return with_copies(
            t, pick["exact_duplicate"], conflict, lambda c: replace_column(c, "outcome", other)
        )


def set_rows(t: pa.Table, column: str, rows: np.ndarray, values) -> pa.Table:
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


def replace_column(t: pa.Table, column: str, values: pa.Array) -> pa.Table:
    """``t`` with the whole of ``column`` replaced by ``values``."""
    return t.set_column(t.schema.get_field_index(column), column, values)


def with_copies(t: pa.Table, exact: np.ndarray, conflict: np.ndarray, change) -> pa.Table:
    """Append a verbatim copy of each ``exact`` row and a changed copy of each ``conflict`` row
    (after the originals, so an original is the occurrence that ingest keeps)."""
    if len(exact) + len(conflict) == 0:
        return t
    return pa.concat_tables([t, t.take(exact), change(t.take(conflict))])
