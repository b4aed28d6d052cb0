"""The digest that lets an incremental build keep the base's CBPE fit: equal only for the same
reference rows, in the same order, with the same nulls."""

from __future__ import annotations

import datetime as dt

import numpy as np

from outcomes.build.calibration import fit_rows, reference_digest


def _rows(**change) -> dict[str, np.ndarray]:
    rows = {
        "system": np.array(["a", "a", "a", "b"], dtype=object),
        "score": np.array([0.2, 0.9, 0.6, 0.7]),
        "target": np.ma.masked_array([0.0, 1.0, 1.0, 0.0], mask=[False, False, False, True]),
        "reference_from": np.array([dt.date(2026, 1, 5)] * 4, dtype="datetime64[D]"),
        "reference_to": np.array([dt.date(2026, 2, 1)] * 4, dtype="datetime64[D]"),
        "reference_weeks": np.array([4, 4, 4, 4]),
        "min_labels": np.array([2, 2, 2, 2]),
    }
    rows.update(change)
    return rows


def test_the_same_rows_give_the_same_digest():
    assert reference_digest(_rows()) == reference_digest(_rows())


def test_any_change_the_fit_could_see_changes_the_digest():
    base = reference_digest(_rows())
    changed = [
        _rows(score=np.array([0.2, 0.9, 0.6, 0.71])),  # a score
        _rows(score=np.array([0.9, 0.2, 0.6, 0.7])),  # the order (the splits depend on it)
        _rows(target=np.ma.masked_array([0.0, 1.0, 0.0, 0.0], mask=[0, 0, 0, 1])),  # a label
        _rows(target=np.ma.masked_array([0.0, 1.0, 1.0, 0.0], mask=[0, 0, 0, 0])),  # a null
        _rows(system=np.array(["a", "a", "b", "b"], dtype=object)),  # which system
        _rows(reference_from=np.array([dt.date(2026, 1, 12)] * 4, dtype="datetime64[D]")),
        _rows(reference_weeks=np.array([5, 5, 5, 5])),
        _rows(min_labels=np.array([3, 3, 3, 3])),
    ]
    digests = [reference_digest(r) for r in changed]
    assert base not in digests and len(set(digests)) == len(digests)


def test_a_fit_of_rows_with_the_same_digest_is_the_same():
    # what keeping the base's fit relies on: the fit is a function of the rows it digests
    assert repr(fit_rows(_rows())) == repr(fit_rows(_rows()))


def test_a_failing_fit_fails_every_reader_not_only_the_first(monkeypatch):
    """An incremental build must not let the readers after the first use the base's table
    when this build's fit failed."""
    from types import SimpleNamespace

    import duckdb
    import pytest

    from outcomes.build import calibration

    con = duckdb.connect()
    calibration.write_calibration(con, {})  # the base snapshot's table
    con.execute(f"create table {calibration.DIGEST_TABLE} as select 'old' as digest")
    monkeypatch.setattr(
        calibration, "REFERENCE_ROWS_SQL", "select 'a' as system, 0.5 as score, 1.0 as target"
    )

    def broken(rows):
        raise calibration.CalibrationError("calibration of system 'a': broken")

    monkeypatch.setattr(calibration, "fit_rows", broken)
    step = calibration.CalibrationStep(con, lambda _m: None)
    reader = SimpleNamespace(reads={calibration.CALIBRATION_TABLE})
    for _ in range(2):  # estimated_accuracy, then calibration_error
        with pytest.raises(calibration.CalibrationError):
            step.before(reader)  # type: ignore[arg-type]
