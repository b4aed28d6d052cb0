"""Model-health series: roll-ups of ratios as sum(numerator) / sum(denominator), worked by hand."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from outcomes.app.views import model_health

W1, W2 = dt.date(2026, 1, 5), dt.date(2026, 1, 12)


@pytest.fixture
def values() -> pd.DataFrame:
    con = duckdb.connect()
    con.execute(
        "create table main.metric_values (metric varchar, week_start date, dimensions varchar, value double, "
        "numerator double, denominator double, flag varchar, extras varchar)"
    )
    rows = [
        # accuracy: v1/smb 90/100, v1/ent 30/50, v2/smb 40/50; totals as the build writes them
        ("accuracy", W1, '{"model_version":"v1","segment":"smb"}', 0.9, 90, 100, None),
        (
            "accuracy",
            W1,
            '{"model_version":"v1","segment":"enterprise"}',
            0.6,
            30,
            50,
            "provisional",
        ),
        ("accuracy", W1, '{"model_version":"v2","segment":"smb"}', 0.8, 40, 50, None),
        ("accuracy", W1, "{}", 0.8, 160, 200, None),
        ("accuracy", W2, '{"model_version":"v2","segment":"smb"}', 0.7, 7, 10, "partial"),
        ("accuracy", W2, "{}", 0.7, 7, 10, "partial"),
        # a percentile: no numerator / denominator, not additive
        ("latency_p95", W1, '{"model_version":"v1","segment":"smb"}', 900, None, None, None),
        ("latency_p95", W1, '{"model_version":"v2","segment":"smb"}', 700, None, None, None),
        ("latency_p95", W1, "{}", 850, None, None, None),
        ("hours_saved", W1, "{}", 5, None, None, None),  # not a model-health metric
    ]
    con.executemany("insert into main.metric_values values (?, ?, ?, ?, ?, ?, ?, '{}')", rows)
    return model_health.health_values(con)


def test_reader_unpacks_dimensions(values):
    assert set(values["metric"]) == {"accuracy", "latency_p95"}
    total = values[(values["metric"] == "accuracy") & values["model_version"].isna()]
    assert total["value"].tolist() == [0.8, 0.7]
    assert model_health.dimension_values(values, "model_version") == ["v1", "v2"]


def test_ratio_by_version_is_sum_over_sum(values):
    frame = model_health.health_series(values, "accuracy", "model_version")
    w1 = frame[frame["week_start"] == pd.Timestamp(W1)].set_index("series")
    assert w1.loc["v1", "value"] == pytest.approx(120 / 150)  # not (0.9 + 0.6) / 2
    assert w1.loc["v1", "flag"] == "provisional"
    assert w1.loc["v2", "value"] == pytest.approx(0.8)
    by_segment = model_health.health_series(values, "accuracy", "segment", versions=["v1", "v2"])
    assert by_segment[by_segment["week_start"] == pd.Timestamp(W1)].set_index("series").loc[
        "smb", "value"
    ] == pytest.approx(130 / 150)


def test_total_and_filtered_total(values):
    assert model_health.health_series(values, "accuracy", "all")["value"].tolist() == [0.8, 0.7]
    only_smb = model_health.health_series(values, "accuracy", "all", segments=["smb"])
    assert only_smb["value"].round(6).tolist() == [round(130 / 150, 6), 0.7]
    assert set(only_smb["series"]) == {"all (filtered)"}


def test_non_additive_metric_is_drawn_per_version_and_segment(values):
    result = model_health.series_for(values, "latency_p95", "model_version")
    assert result.split_used == ("model_version", "segment")
    assert "not additive" in result.note
    assert set(result.frame["series"]) == {"v1 · smb", "v2 · smb"}
    with pytest.raises(ValueError):
        model_health.series_for(values, "latency_p95", "team")


def test_latest_by_series_skips_partial_weeks(values):
    latest = model_health.latest_by_series(
        model_health.health_series(values, "accuracy", "model_version")
    )
    assert latest.set_index("series").loc["v2", "week_start"] == pd.Timestamp(W1)
