"""The sign-off checklist: what is still open in the week's review when someone signs it off.

Open items are the alerts that need action, the sampled outputs nobody judged, and the
metrics that name no owner. Signing over open items needs a reason; the store keeps both.

>>> state = pd.DataFrame({"needs_action": [True, False], "title": ["Accuracy", "Cost"],
...                       "dimension": ["all", "all"]})
>>> open_items(state, {"sampled": 20, "judged": 3}, ["latency_p95"])
['1 alert needs action: Accuracy', '17 of 20 sampled outputs not judged', '1 metric names no owner: latency_p95']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from outcomes.app.markup import md_text


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def open_items(
    state: pd.DataFrame, verdicts: Mapping[str, Any], unowned: Sequence[str]
) -> list[str]:
    """The checklist's open items, one line each (empty when the week is done)."""
    items = []
    todo = state[state["needs_action"]] if len(state) else state
    if len(todo):
        names = ", ".join(
            md_text(t) if d in ("all", "", None) else f"{md_text(t)} ({md_text(d)})"
            for t, d in zip(todo["title"], todo["dimension"], strict=True)
        )
        items.append(f"{_plural(len(todo), 'alert needs', 'alerts need')} action: {names}")
    sampled, judged = int(verdicts.get("sampled") or 0), int(verdicts.get("judged") or 0)
    if sampled > judged:
        items.append(f"{sampled - judged} of {sampled} sampled outputs not judged")
    if unowned:
        items.append(
            f"{_plural(len(unowned), 'metric names', 'metrics name')} no owner: {md_text(', '.join(unowned))}"
        )
    return items


def unowned_text(unowned: Sequence[str]) -> str:
    """The warning about metrics without an owner (Markdown).

    >>> unowned_text(["a", "b"])
    '2 metrics name no owner: `a`, `b`. Add `owner:` to their headers.'
    """
    names = ", ".join(f"`{m}`" for m in unowned)
    return f"{len(unowned)} metrics name no owner: {names}. Add `owner:` to their headers."


def checklist(
    state: pd.DataFrame, verdicts: Mapping[str, Any], unowned: Sequence[str]
) -> list[tuple[str, bool]]:
    """The checklist as ``(line, done)``: every check, done or not, in review order.

    >>> checklist(pd.DataFrame({"needs_action": []}), {"sampled": 2, "judged": 2}, [])
    [('Every alert handled (acknowledged, snoozed or accepted)', True), ('Every sampled output judged', True), ('Every metric has an owner', True)]
    """
    todo = int(state["needs_action"].sum()) if len(state) else 0
    sampled, judged = int(verdicts.get("sampled") or 0), int(verdicts.get("judged") or 0)
    return [
        ("Every alert handled (acknowledged, snoozed or accepted)", todo == 0),
        ("Every sampled output judged", judged >= sampled),
        ("Every metric has an owner", not unowned),
    ]
