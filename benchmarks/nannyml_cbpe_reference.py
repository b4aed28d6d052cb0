"""NannyML's CBPE reference figures for tests/sql/test_cbpe_nannyml.py, produced ONCE in a
throw-away venv (NannyML is not a dependency of Outcomes and this script is not run by tests):

    python3 -m venv /tmp/nml && /tmp/nml/bin/pip install nannyml statsmodels
    NML_DISABLE_USAGE_LOGGING=1 /tmp/nml/bin/python benchmarks/nannyml_cbpe_reference.py

(NannyML 0.13.1 needs statsmodels, which it does not declare; the environment variable stops
its usage telemetry.) Writes tests/data/nannyml_car_loan/:

- ``inputs.parquet``: the columns CBPE reads from NannyML's synthetic car-loan data
  (``nml.load_synthetic_car_loan_dataset()``): period (reference | analysis), row (its index
  in that period's frame), timestamp, y_pred_proba, y_pred, y_true (the analysis targets
  joined by id);
- ``figures.csv``: per variant and chunk, CBPE's estimated accuracy, its sampling error
  (std of the reference's correctness, ddof 0, / sqrt(chunk rows)) and confidence band
  (estimate -/+ 3 sampling errors, clipped to 0..1), and the realised accuracy NannyML reports,
  with the chunk's bounds and row count.

Variants:

- ``default``: ``nml.CBPE(problem_type='classification_binary', metrics=['accuracy'],
  chunk_period='W')`` fitted on the reference frame, estimated on the analysis frame (with its
  targets so that the realised accuracy is reported too). CBPE calibrates only when
  ``nannyml.calibration.needs_calibration`` says the isotonic calibration lowers the expected
  calibration error in every one of 10 stratified 90/10 splits; the flag it found is written.
- ``forced_isotonic``: the same, with ``needs_calibration`` replaced by ``lambda *a, **k: True``
  so that the figures come from the isotonic calibration whatever the check says (the
  ``sklearn.isotonic.IsotonicRegression(out_of_bounds='clip', increasing=True)`` fitted on
  every reference row).
- ``forced_identity``: ``needs_calibration`` replaced by ``lambda *a, **k: False`` (raw scores).

Chunks: ``chunk_period='W'`` groups rows by ``timestamp.dt.to_period('W')``, pandas weeks
Monday to Sunday, the same as Outcomes' reporting weeks (week_start_day Monday); the first
reference row is on Monday 2018-01-01. Reference and analysis are chunked separately, so the
week 2018-10-29, split between them, is a chunk in each period.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")

import nannyml as nml  # noqa: E402
import pandas as pd  # noqa: E402
from nannyml.performance_estimation.confidence_based import cbpe as cbpe_module  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "nannyml_car_loan"


def inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    reference, analysis, targets = nml.load_synthetic_car_loan_dataset()
    analysis = analysis.merge(targets, on="id", how="left", validate="one_to_one")
    frames = []
    for period, frame in (("reference", reference), ("analysis", analysis)):
        frames.append(
            pd.DataFrame(
                {
                    "period": period,
                    "row": range(len(frame)),
                    "timestamp": pd.to_datetime(frame["timestamp"]).astype("datetime64[us]"),
                    "y_pred_proba": frame["y_pred_proba"].astype("float64"),
                    "y_pred": frame["y_pred"].astype("int64"),
                    "y_true": frame["repaid"].astype("int64"),
                }
            )
        )
    return reference, analysis, pd.concat(frames, ignore_index=True)


def figures(variant: str, reference: pd.DataFrame, analysis: pd.DataFrame) -> pd.DataFrame:
    original = cbpe_module.needs_calibration
    if variant == "forced_isotonic":
        cbpe_module.needs_calibration = lambda *a, **k: True
    elif variant == "forced_identity":
        cbpe_module.needs_calibration = lambda *a, **k: False
    try:
        estimator = nml.CBPE(
            problem_type="classification_binary",
            y_pred_proba="y_pred_proba",
            y_pred="y_pred",
            y_true="repaid",
            timestamp_column_name="timestamp",
            metrics=["accuracy"],
            chunk_period="W",
        )
        estimator.fit(reference)
        result = estimator.estimate(analysis).to_df()
    finally:
        cbpe_module.needs_calibration = original
    rows = pd.DataFrame(
        {
            "variant": variant,
            "needs_calibration": estimator.needs_calibration,
            "period": result[("chunk", "period")],
            "chunk_key": result[("chunk", "key")],
            "start_date": pd.to_datetime(result[("chunk", "start_date")]).dt.date,
            "end_date": pd.to_datetime(result[("chunk", "end_date")]).dt.date,
            "rows": result[("chunk", "end_index")] - result[("chunk", "start_index")] + 1,
            "estimated_accuracy": result[("accuracy", "value")],
            "sampling_error": result[("accuracy", "sampling_error")],
            "lower_confidence_boundary": result[("accuracy", "lower_confidence_boundary")],
            "upper_confidence_boundary": result[("accuracy", "upper_confidence_boundary")],
            "realized_accuracy": result[("accuracy", "realized")],
        }
    )
    return rows


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    reference, analysis, frame = inputs()
    frame.to_parquet(OUT / "inputs.parquet", compression="zstd", index=False)
    out = pd.concat(
        [
            figures(v, reference, analysis)
            for v in ("default", "forced_isotonic", "forced_identity")
        ],
        ignore_index=True,
    )
    with pd.option_context("display.precision", 17):
        out.to_csv(OUT / "figures.csv", index=False, float_format="%.17g")
    print(f"nannyml {nml.__version__}, pandas {pd.__version__}", file=sys.stderr)
    print(out.groupby(["variant", "period"]).size(), file=sys.stderr)
    print(out.drop_duplicates("variant")[["variant", "needs_calibration"]], file=sys.stderr)


if __name__ == "__main__":
    main()
