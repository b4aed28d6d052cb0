"""The isotonic calibration of a score on labelled reference rows, as NannyML's CBPE fits it.

NannyML 0.13.1 (``nannyml/calibration.py``, ``CBPE._fit_binary``) first asks
``needs_calibration``: one class only, or an AUROC above 0.999, needs none; otherwise ten
stratified 90/10 splits (``StratifiedShuffleSplit(n_splits=10, test_size=0.1,
random_state=42)``), an isotonic regression fitted on each train part and applied to its test
part, and the expected calibration error (ten equal-count bins over the pooled test rows sorted
by score) of the raw and the calibrated scores compared: calibration is used when it lowers
the error. Then ``IsotonicRegression(out_of_bounds='clip', increasing=True)`` is fitted on
every reference row; its breakpoints (``X_thresholds_``, ``y_thresholds_``) are what
``main.calibration`` stores, and ``predict`` is linear interpolation between them, the score
clipped to the first and last breakpoint. Without calibration the score is used as it is,
stored as the identity (0, 0), (1, 1).

The split depends on the order of the rows: pass them in a fixed order.

>>> import numpy as np
>>> fit = fit_calibration(np.array([0.2, 0.4, 0.6, 0.8]), np.array([0, 1, 0, 1]))
>>> fit.method, fit.reason
('identity', 'too few labelled rows to test the calibration (4; each outcome needs 2)')
>>> fit.x, fit.y
((0.0, 1.0), (0.0, 1.0))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BIN_COUNT = 10  # NannyML's needs_calibration defaults
SPLIT_COUNT = 10
TEST_SIZE = 0.1
RANDOM_STATE = 42
IDENTITY = ((0.0, 1.0), (0.0, 1.0))


@dataclass(frozen=True)
class Calibration:
    """Breakpoints of the calibration map and how it was chosen.

    ``method``: ``isotonic`` (the fitted breakpoints) or ``identity`` (the score as it is);
    ``reason`` says why; ``ece_raw`` / ``ece_calibrated`` are the expected calibration errors
    of NannyML's check (None when it did not run).
    """

    x: tuple[float, ...]
    y: tuple[float, ...]
    method: str
    reason: str
    fitted_rows: int
    positive_rows: int
    ece_raw: float | None = None
    ece_calibrated: float | None = None


def fit_calibration(score: np.ndarray, target: np.ndarray) -> Calibration:
    """Fit the calibration of ``score`` (0..1) to ``target`` (0 / 1), as NannyML's CBPE does.

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> s = rng.uniform(0, 1, 2000)
    >>> t = (rng.uniform(0, 1, 2000) < s**2).astype(int)
    >>> fit = fit_calibration(s, t)
    >>> fit.method, fit.fitted_rows, fit.x[0] >= 0, fit.y[-1] <= 1
    ('isotonic', 2000, True, True)
    """
    from sklearn.isotonic import IsotonicRegression

    score = np.asarray(score, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if score.shape != target.shape or score.ndim != 1:
        raise ValueError(
            f"score and target must be 1-d of one length: {score.shape}, {target.shape}"
        )
    if np.isnan(score).any() or np.isnan(target).any():
        raise ValueError("score and target must have no missing values")
    n, positives = len(score), int(target.sum())
    needed, reason, ece_raw, ece_cal = needs_calibration(score, target)
    if not needed:
        x, y = IDENTITY
        return Calibration(x, y, "identity", reason, n, positives, ece_raw, ece_cal)
    regressor = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(score, target)
    return Calibration(
        tuple(float(v) for v in regressor.X_thresholds_),
        tuple(float(v) for v in regressor.y_thresholds_),
        "isotonic",
        reason,
        n,
        positives,
        ece_raw,
        ece_cal,
    )


def needs_calibration(
    score: np.ndarray, target: np.ndarray
) -> tuple[bool, str, float | None, float | None]:
    """NannyML's ``needs_calibration``: (needed, why, ECE raw, ECE calibrated).

    Where NannyML would fail (an outcome with fewer than 2 rows, or fewer than 4 pooled
    test rows: its splitter or its binning raises) the score is left as it is.
    """
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedShuffleSplit

    n = len(score)
    classes, counts = np.unique(target, return_counts=True)
    if len(classes) < 2:
        return False, "one outcome only in the reference: nothing to calibrate", None, None
    if counts.min() < 2 or math.ceil(TEST_SIZE * n) < 2:
        return (
            False,
            f"too few labelled rows to test the calibration ({n}; each outcome needs 2)",
            None,
            None,
        )
    if roc_auc_score(target, score) > 0.999:
        return False, "AUROC above 0.999 in the reference: scores separate perfectly", None, None
    splits = StratifiedShuffleSplit(
        n_splits=SPLIT_COUNT, test_size=TEST_SIZE, random_state=RANDOM_STATE
    )
    tested_true, tested_raw, tested_cal = [], [], []
    for train, test in splits.split(score, target):
        regressor = IsotonicRegression(out_of_bounds="clip", increasing=True)
        regressor.fit(score[train], target[train])
        tested_true.append(target[test])
        tested_raw.append(score[test])
        tested_cal.append(regressor.predict(score[test]))
    y_true = np.concatenate(tested_true)
    raw = np.concatenate(tested_raw)
    calibrated = np.concatenate(tested_cal)
    edges = _bin_index_edges(len(raw), BIN_COUNT)
    ece_raw = _expected_calibration_error(y_true, raw, edges)
    ece_cal = _expected_calibration_error(y_true, calibrated, edges)
    if ece_raw > ece_cal:
        return True, "isotonic calibration lowers the expected calibration error", ece_raw, ece_cal
    return False, "calibration does not lower the expected calibration error", ece_raw, ece_cal


def _bin_index_edges(length: int, bin_count: int) -> list[tuple[int, int]]:
    """Equal-count bins of ``length`` sorted rows (NannyML's ``_get_bin_index_edges``)."""
    if length <= 2 * bin_count:
        bin_count = length // 2
    width = length // bin_count
    edges = np.asarray(range(0, length + 1, width))
    edges[-1] = length
    return list(zip(edges[:-1], edges[1:], strict=True))


def _expected_calibration_error(
    y_true: np.ndarray, proba: np.ndarray, edges: list[tuple[int, int]]
) -> float:
    """NannyML's ``_calculate_expected_calibration_error``: the same sort (numpy's default
    argsort) and the same sums, so ties fall into the same bins."""
    order = proba.argsort()
    proba, y_true = proba[order], y_true[order]
    terms = []
    for left, right in edges:
        weight = len(proba[left:right]) / len(proba)
        terms.append(weight * abs(np.mean(proba[left:right]) - np.mean(y_true[left:right])))
    return float(np.sum(terms))
