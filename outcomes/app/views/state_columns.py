"""What people wrote in the state store (acknowledgements, verdicts), joined onto a view's rows
as columns: the latest entry of each row's key wins.

>>> frame = pd.DataFrame({"k": [1, 2]})
>>> with_latest(frame, "k", {2: "b"}, {"v": str.upper})["v"].tolist()
[None, 'B']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd


def with_latest(
    frame: pd.DataFrame,
    key: str,
    latest: Mapping[Any, Any],
    columns: Mapping[str, Callable[[Any], Any]],
) -> pd.DataFrame:
    """``frame`` with one object column per ``columns`` item: ``get(latest[row key])``, None
    for a row whose key has no entry in ``latest``."""
    out = frame.copy()
    keys = list(out[key])
    for column, get in columns.items():
        out[column] = pd.Series(
            [get(latest[k]) if k in latest else None for k in keys], dtype=object, index=out.index
        )
    return out
