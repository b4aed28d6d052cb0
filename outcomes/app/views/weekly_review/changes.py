"""What changed most against last week: the scorecard's metrics ranked by their relative
change, so the review shows movement before the full scorecard.

>>> card = pd.DataFrame({"title": ["A", "B", "C"], "unit": ["ratio", "usd", "ms"],
...     "value": [0.5, 10.0, 200.0], "previous": [0.4, 10.0, 100.0],
...     "change": [0.1, 0.0, 100.0], "change_pct": [0.25, 0.0, 1.0], "status": ["ok"] * 3})
>>> biggest_changes(card, top=2)["title"].tolist()
['C', 'A']
"""

from __future__ import annotations

import pandas as pd

from outcomes.core.formats import format_change, format_percent_change, format_value

CHANGE_LABELS = {
    "title": "Metric",
    "was": "Last week",
    "now": "This week",
    "change": "Change",
    "change_pct": "Change (%)",
    "status": "Status",
}
CHANGE_COLUMNS = list(CHANGE_LABELS)


def biggest_changes(card: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """The ``top`` metrics of the scorecard with the largest relative change against last
    week (no change left out): title, was, now, change (in the unit), change_pct, status."""
    if card.empty or "change_pct" not in card:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    moved = card[card["change_pct"].notna() & (card["change_pct"] != 0)].copy()
    moved["size"] = moved["change_pct"].abs()
    moved = moved.sort_values("size", ascending=False).head(top)
    return pd.DataFrame(
        {
            "title": moved["title"],
            "was": [
                format_value(v, u) for v, u in zip(moved["previous"], moved["unit"], strict=True)
            ],
            "now": [format_value(v, u) for v, u in zip(moved["value"], moved["unit"], strict=True)],
            "change": [
                format_change(c, u) for c, u in zip(moved["change"], moved["unit"], strict=True)
            ],
            "change_pct": [format_percent_change(p) for p in moved["change_pct"]],
            "status": moved["status"],
        },
        columns=CHANGE_COLUMNS,
    ).reset_index(drop=True)
