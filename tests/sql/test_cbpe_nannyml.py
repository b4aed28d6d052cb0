"""CBPE against NannyML on NannyML's synthetic car-loan data (issue 15).

The figures in tests/data/nannyml_car_loan/figures.csv come from NannyML 0.13.1 itself, run
once in a throw-away venv by benchmarks/nannyml_cbpe_reference.py (NannyML is no dependency).
Here the same rows go through the product's own path: the calibration fitted by
``outcomes.build.calibration_fit.fit_calibration`` on the reference rows (in their order),
stored by ``outcomes.build.calibration.write_calibration`` as ``main.calibration``, and the
calibrated score and expected hit per row computed in SQL by the ``cbpe_scored`` macro; the
estimated accuracy of a chunk (a reporting week, ``week_of``, Monday to Sunday, as pandas'
period 'W') is the mean expected hit, its sampling error the std of the reference's
correctness over sqrt(rows), its band -/+ 3 sampling errors. Every chunk must match NannyML's
to 1e-9.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from outcomes.build.calibration import SystemCalibration, write_calibration
from outcomes.build.calibration_fit import IDENTITY, fit_calibration
from outcomes.config import Settings
from outcomes.store.sqlfunctions import install

DATA = Path(__file__).resolve().parents[1] / "data" / "nannyml_car_loan"
SYSTEM = "car-loan"
TOLERANCE = 1e-9

ESTIMATES = """
with rows as (
    select
        period,
        week_of(timestamp) as week_start,
        'car-loan' as system,
        y_pred_proba as score,
        y_pred = 1 as predicted_positive,
        y_pred = y_true as hit
    from inputs
),

scored as (
    select * from cbpe_scored('rows')
),

chunks as (
    select
        period,
        week_start,
        count(*) as n,
        sum(expected_hit::decimal(38, 18))::double / count(expected_hit) as estimated,
        (select any_value(reference_hit_std) from main.calibration) / sqrt(count(expected_hit))
            as se,
        count_if(hit)::double / count(*) as realised
    from scored
    group by period, week_start
)

select
    *,
    greatest(estimated - 3 * se, 0) as estimated_low,
    least(estimated + 3 * se, 1) as estimated_high
from chunks
order by period, week_start
"""


@pytest.fixture(scope="module")
def inputs() -> pd.DataFrame:
    return pd.read_parquet(DATA / "inputs.parquet")


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "figures.csv", parse_dates=["start_date", "end_date"])
    frame["start_date"] = frame["start_date"].dt.date
    return frame


@pytest.fixture(scope="module")
def fitted(inputs: pd.DataFrame):
    reference = inputs[inputs["period"] == "reference"].sort_values("row")
    return fit_calibration(reference["y_pred_proba"].to_numpy(), reference["y_true"].to_numpy())


def estimate(inputs: pd.DataFrame, fit) -> pd.DataFrame:
    """Per period and week: rows, estimated and realised accuracy, through main.calibration."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    install(con, Settings(timezone="UTC"), as_of="2020-01-01 00:00:00")
    # NannyML's sampling-error component: std of the reference's correctness (y_pred == y_true)
    reference = inputs[inputs["period"] == "reference"]
    hit_std = float(np.std(reference["y_pred"] == reference["y_true"]))
    write_calibration(con, {SYSTEM: SystemCalibration(fit, None, None, 0, hit_std)})
    con.register("inputs", inputs)
    out = con.execute(ESTIMATES).df()
    con.close()
    out["week_start"] = pd.to_datetime(out["week_start"]).dt.date
    return out


def compare(ours: pd.DataFrame, theirs: pd.DataFrame) -> pd.DataFrame:
    merged = theirs.merge(
        ours,
        left_on=["period", "start_date"],
        right_on=["period", "week_start"],
        how="outer",
        indicator=True,
        validate="one_to_one",
    )
    unmatched = merged[merged["_merge"] != "both"]
    assert unmatched.empty, f"chunks on one side only:\n{unmatched}"
    return merged


def test_needs_calibration_agrees_with_nannyml(fitted, figures):
    flag = bool(figures.loc[figures["variant"] == "default", "needs_calibration"].iloc[0])
    assert flag is True
    assert fitted.method == "isotonic"
    assert fitted.fitted_rows == 50_000
    assert fitted.ece_calibrated < fitted.ece_raw


@pytest.mark.parametrize("variant", ["default", "forced_isotonic", "forced_identity"])
def test_estimated_accuracy_matches_nannyml_per_weekly_chunk(variant, inputs, figures, fitted):
    fit = fitted
    if variant == "forced_identity":
        fit = dataclasses.replace(fitted, x=IDENTITY[0], y=IDENTITY[1], method="identity")
    theirs = figures[figures["variant"] == variant]
    merged = compare(estimate(inputs, fit), theirs)
    assert len(merged) == 88  # 44 weekly chunks in each period
    assert (merged["rows"] == merged["n"]).all()
    worst = np.abs(merged["estimated_accuracy"] - merged["estimated"]).max()
    assert worst <= TOLERANCE, f"largest difference {worst:.3g}"
    realised = np.abs(merged["realized_accuracy"] - merged["realised"]).max()
    assert realised <= TOLERANCE
    for theirs_column, ours_column in (
        ("sampling_error", "se"),
        ("lower_confidence_boundary", "estimated_low"),
        ("upper_confidence_boundary", "estimated_high"),
    ):
        worst = np.abs(merged[theirs_column] - merged[ours_column]).max()
        assert worst <= TOLERANCE, f"{theirs_column}: largest difference {worst:.3g}"


def test_the_comparison_can_fail(inputs, figures, fitted):
    """The raw scores (no calibration) are far from NannyML's calibrated figures: the test above
    tells the two apart."""
    identity = dataclasses.replace(fitted, x=IDENTITY[0], y=IDENTITY[1], method="identity")
    merged = compare(estimate(inputs, identity), figures[figures["variant"] == "default"])
    assert np.abs(merged["estimated_accuracy"] - merged["estimated"]).max() > 1e-3
