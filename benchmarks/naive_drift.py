"""The naive way: pandas + numpy + scipy, one feature and week at a time, same definitions
as the product (reference deciles, epsilon 0.0001, exact two-sample KS)."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from floor import product_drift
from scipy import stats

from outcomes.store.snapshot import open_file

DECILES = np.arange(1, 10) / 10
EPS = 0.0001


def _psi(ref_share: np.ndarray, cur_share: np.ndarray) -> float:
    r, c = np.maximum(ref_share, EPS), np.maximum(cur_share, EPS)
    return float(np.sum((c - r) * np.log(c / r)))


def naive_drift(warehouse: str, reference_weeks: int = 4) -> tuple[dict, float]:
    t = time.perf_counter()
    con = open_file(Path(warehouse))  # with its staging parts
    complete = [
        w
        for (w,) in con.execute(
            "select week_start from staging.weeks where not is_partial order by 1"
        ).fetchall()
    ]
    # drift is per AI system: a system's feature is its own (keyed system/feature)
    features = con.execute(
        "select distinct system, feature from staging.ai_features order by 1, 2"
    ).fetchall()
    out = {}
    # one feature in memory at a time (all of them at once took 20 GB at 10M events)
    for system, name in features:
        feature = f"{system}/{name}"
        rows = (
            con.sql(
                "select week_start, value_num, value_cat from staging.ai_features "
                "where system = $s and feature = $f",
                params={"s": system, "f": name},
            )
            .to_arrow_table()
            .to_pandas()
        )
        if rows.empty:
            continue
        numeric = rows["value_num"].notna().any()
        weeks = sorted(rows["week_start"].unique())
        first = pd.Timestamp(weeks[0]).date()
        ref_weeks = [w for w in complete if w >= first][:reference_weeks]
        in_ref = rows["week_start"].isin([pd.Timestamp(w) for w in ref_weeks]) | rows[
            "week_start"
        ].isin(ref_weeks)
        if numeric:
            values = rows["value_num"].to_numpy()
            keep = np.isfinite(values)
            ref = np.sort(values[in_ref.to_numpy() & keep])
            edges = np.unique(np.quantile(ref, DECILES))
            ref_share = np.bincount(
                np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1
            ) / len(ref)
            for w, cur_rows in rows[keep].groupby("week_start"):
                cur = cur_rows["value_num"].to_numpy()
                cur_share = np.bincount(
                    np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1
                ) / len(cur)
                ks = stats.ks_2samp(ref, cur).statistic
                out[("numeric", feature, pd.Timestamp(w).date())] = (_psi(ref_share, cur_share), ks)
        else:
            ref_counts = rows.loc[in_ref, "value_cat"].value_counts()
            for w, cur_rows in rows.groupby("week_start"):
                cur_counts = cur_rows["value_cat"].value_counts()
                cats = sorted(set(ref_counts.index) | set(cur_counts.index))
                r = ref_counts.reindex(cats, fill_value=0).to_numpy() / ref_counts.sum()
                c = cur_counts.reindex(cats, fill_value=0).to_numpy() / cur_counts.sum()
                out[("categorical", feature, pd.Timestamp(w).date())] = (_psi(r, c), None)
    con.close()
    return out, time.perf_counter() - t


def compare(warehouse: str, naive: dict) -> dict:
    """Largest differences between the product's drift tables and the naive numbers."""
    con = open_file(Path(warehouse))  # with its staging parts
    worst_psi = worst_ks = 0.0
    compared = missing = 0
    for kind, feature, w, psi, ks_value in product_drift(con):
        got = naive.get((kind, feature, w))
        if got is None:
            missing += 1
            continue
        compared += 1
        worst_psi = max(worst_psi, abs(got[0] - psi) / max(abs(psi), 1e-12))
        if ks_value is not None:
            worst_ks = max(worst_ks, abs(got[1] - ks_value))
    con.close()
    return {
        "compared": compared,
        "missing": missing,
        "max_rel_diff_psi": worst_psi,
        "max_abs_diff_ks": worst_ks,
        "agree": compared > 0
        and missing == 0
        and worst_psi < 1e-9
        and worst_ks < 1e-12
        and not math.isnan(worst_psi),
    }
