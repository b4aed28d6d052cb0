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
        rows.extend(_inline_values(spec))
        out.append({"title": str(title), "spec": spec, "rows": rows})
    return out


def chart(at: AppTest, title_prefix: str) -> dict[str, Any]:
    found = [c for c in charts(at) if c["title"].startswith(title_prefix)]
    assert found, (title_prefix, [c["title"] for c in charts(at)])
    return found[0]


def _inline_values(node: Any) -> list[dict[str, Any]]:
    """Rows given inline (``data: {values: [...]}``) anywhere in a spec."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        data = node.get("data")
        if isinstance(data, dict) and isinstance(data.get("values"), list):
            found.extend(v for v in data["values"] if isinstance(v, dict))
        for value in node.values():
            if isinstance(value, (dict, list)):
                found.extend(_inline_values(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_inline_values(value))
    return found
