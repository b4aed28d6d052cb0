"""Feature drift of the review: PSI per feature and week, one cell's statistics, and the
reference vs current distribution behind it.

Drift is per AI system (issue 15): with a system picked, its features; for the company, every
system's features labelled ``system · feature`` (:data:`SEPARATOR`), which the drill-down
splits again (:func:`split_feature`).

>>> split_feature("invoice-matcher · amount", None), split_feature("amount", "x")
(('invoice-matcher', 'amount'), ('x', 'amount'))

>>> _bin_labels([1.0, 2.5])
['< 1', '[1, 2.5)', '≥ 2.5']
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.views.snapshot_cells import as_date, has_table
from outcomes.core.formats import format_p_value

QUERIES = (
    "review_drift_psi",
    "review_drift_numeric_cell",
    "review_drift_categorical_cell",
    "review_numeric_distribution",
    "review_categorical_distribution",
)
DISTRIBUTION_COLUMNS = ["bin", "bin_order", "sample", "rows", "share"]
SEPARATOR = " · "


def split_feature(feature: str, system: str | None) -> tuple[str | None, str]:
    """(system, feature) of a heatmap label: the company view's ``system · feature``."""
    if system is None and SEPARATOR in feature:
        found, plain = feature.split(SEPARATOR, 1)
        return found, plain
    return system, feature


def _of_system(frame: pd.DataFrame, system: str | None) -> pd.DataFrame:
    if system is None or "system" not in frame.columns:
        return frame
    return frame[frame["system"] == system]


def drift_heatmap_data(
    con: duckdb.DuckDBPyConnection,
    week: dt.date,
    weeks_back: int = 26,
    system: str | None = None,
) -> pd.DataFrame:
    """PSI per feature and week for the ``weeks_back`` weeks up to ``week``: week_start,
    feature, feature_type, psi, n_current, flag (from ``metrics.drift_psi``), of ``system``
    (None: every system's, features labelled ``system · feature``)."""
    columns = ["week_start", "feature", "feature_type", "psi", "n_current", "flag"]
    if not has_table(con, "metrics", "drift_psi"):
        return pd.DataFrame(columns=columns)
    start = week - dt.timedelta(days=7 * (weeks_back - 1))
    frame = queries.run(con, "review_drift_psi", {"start": start, "week": week})
    frame = _of_system(frame, system).drop(columns=["flag"]).rename(columns={"flag_text": "flag"})
    if system is None and "system" in frame.columns:
        frame["feature"] = [
            f"{s}{SEPARATOR}{f}" for s, f in zip(frame["system"], frame["feature"], strict=True)
        ]
    frame["week_start"] = [as_date(w) for w in frame["week_start"]]
    return frame[columns]


def drift_cell(
    con: duckdb.DuckDBPyConnection, feature: str, week: dt.date, system: str | None = None
) -> dict[str, Any]:
    """The drift statistics of one feature (of ``system``) and week, with its reference
    window, or {}."""
    system, feature = split_feature(feature, system)
    for kind in ("numeric", "categorical"):
        if not has_table(con, "metrics", f"drift_{kind}"):
            continue
        frame = queries.run(con, f"review_drift_{kind}_cell", {"feature": feature, "week": week})
        frame = _of_system(frame, system)
        if len(frame):
            row = frame.iloc[0].to_dict()
            row["feature_type"] = kind
            row["reference_start"] = as_date(row.get("reference_start"))
            row["reference_end"] = as_date(row.get("reference_end"))
            row["week_start"] = as_date(row.get("week_start"))
            return row
    return {}


def drift_stats_text(cell: dict[str, Any]) -> str:
    """One line of a cell's statistics: PSI, JS distance, the test's p-value, the samples.

    >>> print(drift_stats_text({"psi": 0.2, "feature_type": "numeric", "ks_pvalue": 0.01,
    ...     "reference_start": "2026-01-05", "reference_end": "2026-03-30",
    ...     "n_reference": 1200, "n_current": 100}))
    PSI **0.200** · KS p-value 0.01 · reference 2026-01-05 to 2026-03-30 (1,200 rows) vs 100 rows this week
    """
    stats = [f"PSI **{cell.get('psi', float('nan')):.3f}**"]
    if cell.get("js_distance") is not None:
        stats.append(f"JS distance {cell['js_distance']:.3f}")
    if cell["feature_type"] == "numeric" and cell.get("ks_pvalue") is not None:
        stats.append(f"KS p-value {format_p_value(cell['ks_pvalue'])}")
    if cell["feature_type"] == "categorical" and cell.get("chi2_pvalue") is not None:
        stats.append(f"χ² p-value {format_p_value(cell['chi2_pvalue'])}")
    stats.append(
        f"reference {cell['reference_start']} to {cell['reference_end']} "
        f"({cell['n_reference']:,.0f} rows) vs {cell['n_current']:,.0f} rows this week"
    )
    if cell.get("flag"):
        stats.append(f"flag: {cell['flag']}")
    return " · ".join(stats)


def distributions(
    con: duckdb.DuckDBPyConnection,
    feature: str,
    week: dt.date,
    top: int = 12,
    system: str | None = None,
) -> pd.DataFrame:
    """Reference vs current distribution of one feature, read from ``staging.ai_features``.

    Numeric features: the reference's deciles (quantile_cont, duplicate edges removed) as
    bins, a value equal to an edge in the bin above (as the drift metrics bin). Categorical:
    the ``top`` categories by their larger share, the rest as ``(other)``. Columns: bin,
    bin_order, sample ('reference' / 'current'), rows, share. Empty when the week has no
    reference window.
    """
    cell = drift_cell(con, feature, week, system)
    feature = split_feature(feature, system)[1]
    if not cell or cell.get("reference_start") is None:
        return pd.DataFrame(columns=DISTRIBUTION_COLUMNS)
    params = {
        "feature": feature,
        "reference_start": cell["reference_start"],
        "reference_end": cell["reference_end"],
        "week": week,
    }
    if cell["feature_type"] == "numeric":
        return _numeric_distribution(con, params)
    return _categorical_distribution(con, params, top)


def _numeric_distribution(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> pd.DataFrame:
    counts = queries.rows(con, "review_numeric_distribution", params)
    edges = [float(e) for e in counts[0][3]] if counts else []
    labels = _bin_labels(edges)
    records = [
        {"bin": labels[b], "bin_order": int(b), "sample": s, "rows": int(n)}
        for s, b, n, _ in counts
    ]
    return _with_shares(records)


def _bin_labels(edges: list[float]) -> list[str]:
    """Labels of the bins cut by ``edges``."""
    if not edges:
        return ["all values"]
    labels = [f"< {edges[0]:.4g}"]
    labels += [f"[{a:.4g}, {b:.4g})" for a, b in zip(edges, edges[1:], strict=False)]
    labels.append(f"≥ {edges[-1]:.4g}")
    return labels


def _categorical_distribution(
    con: duckdb.DuckDBPyConnection, params: dict[str, Any], top: int
) -> pd.DataFrame:
    counts = queries.run(con, "review_categorical_distribution", params)
    if counts.empty:
        return pd.DataFrame(columns=DISTRIBUTION_COLUMNS)
    counts["share"] = counts["rows"] / counts.groupby("sample")["rows"].transform("sum")
    best = counts.groupby("value_cat")["share"].max().sort_values(ascending=False, kind="stable")
    keep = sorted(best.index[:top], key=lambda c: (-best[c], c))
    counts["bin"] = [c if c in keep else "(other)" for c in counts["value_cat"]]
    grouped = counts.groupby(["sample", "bin"], as_index=False)["rows"].sum()
    order = {c: i for i, c in enumerate([*keep, "(other)"])}
    records = [
        {"bin": b, "bin_order": order[b], "sample": s, "rows": int(n)}
        for s, b, n in grouped.itertuples(index=False)
    ]
    return _with_shares(records)


def _with_shares(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=["bin", "bin_order", "sample", "rows"])
    totals = frame.groupby("sample")["rows"].transform("sum")
    frame["share"] = frame["rows"] / totals
    frame["_o"] = frame["sample"].map({"reference": 0, "current": 1})
    return frame.sort_values(["bin_order", "_o"]).drop(columns="_o").reset_index(drop=True)
