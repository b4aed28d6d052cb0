"""outcomes.app.streamlit_glue.chart_spec: Altair charts built once per set of arguments, drawn from the spec."""

from __future__ import annotations

import altair as alt
import pandas as pd

from outcomes.app import streamlit_glue as ui

CALLS: list[tuple] = []


def counted_chart(frame: pd.DataFrame, *, title: str) -> alt.Chart:
    CALLS.append((len(frame), title))
    return alt.Chart(frame, title=title).mark_line().encode(x="week:T", y="value:Q")


FRAME = pd.DataFrame({"week": pd.to_datetime(["2026-01-05", "2026-01-12"]), "value": [1.0, 2.0]})


def test_the_same_arguments_build_the_chart_once_and_give_its_spec():
    CALLS.clear()
    first = ui.chart_spec(counted_chart, FRAME, title="Accuracy")
    again = ui.chart_spec(counted_chart, FRAME.copy(), title="Accuracy")
    assert CALLS == [(2, "Accuracy")]
    assert first == again
    assert first == counted_chart(FRAME, title="Accuracy").to_dict()
    assert first["mark"]["type"] == "line" and first["title"] == "Accuracy"


def test_other_data_or_options_build_again():
    CALLS.clear()
    ui.chart_spec(counted_chart, FRAME, title="Accuracy")
    ui.chart_spec(counted_chart, FRAME.assign(value=[1.0, 3.0]), title="Accuracy")
    ui.chart_spec(counted_chart, FRAME, title="Cost")
    assert CALLS == [(2, "Accuracy"), (2, "Accuracy"), (2, "Cost")]
