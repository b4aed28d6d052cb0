"""Read the altair charts an AppTest run drew: spec and data rows (Arrow datasets)."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
from streamlit.testing.v1 import AppTest


def charts(at: AppTest) -> list[dict[str, Any]]:
    """Every vega-lite chart on the page: ``{"title", "spec", "rows"}``; rows of all datasets."""
    out = []
    for element in at.get("vega_lite_chart"):
        proto = element.proto
        spec = json.loads(proto.spec)
        title = spec.get("title") or ""
        if isinstance(title, dict):
            title = title.get("text") or ""
        rows: list[dict[str, Any]] = []
        for ds in proto.datasets:
            rows.extend(pa.ipc.open_stream(ds.data.data).read_all().to_pylist())
        out.append({"title": str(title), "spec": spec, "rows": rows})
    return out


def chart(at: AppTest, title_prefix: str) -> dict[str, Any]:
    found = [c for c in charts(at) if c["title"].startswith(title_prefix)]
    assert found, (title_prefix, [c["title"] for c in charts(at)])
    return found[0]
