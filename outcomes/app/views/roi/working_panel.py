"""What "show working" displays for one figure: formula with its numbers, the inputs with
their sources and owners, the SQL behind it and the rows it was computed from.

>>> w = empty_working("roi", "no costs in the period")
>>> (w.result, w.notes, list(w.inputs.columns) == INPUT_COLUMNS)
('n/a', ('no costs in the period',), True)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

INPUT_COLUMNS = [
    "input",
    "value",
    "unit",
    "source",
    "source_ref",
    "owner",
    "effective_from",
    "note",
]


@dataclass(frozen=True)
class Working:
    """What "show working" displays for one figure."""

    title: str
    formula: str
    formula_filled: str
    result: str
    inputs: pd.DataFrame  # INPUT_COLUMNS
    sql: tuple[tuple[str, str], ...]  # (name, SQL text)
    rows: pd.DataFrame  # the rows behind the figure (a sample when long)
    rows_title: str = "Rows behind the figure"
    notes: tuple[str, ...] = ()


def empty_working(key: str, why: str) -> Working:
    """The working of a figure that could not be computed, saying why."""
    return Working(
        key, "", "", "n/a", pd.DataFrame(columns=INPUT_COLUMNS), (), pd.DataFrame(), notes=(why,)
    )


def dedupe(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(name, SQL) pairs, each name once (its first text), in order.

    >>> dedupe([("a", "1"), ("b", "2"), ("a", "3")])
    [('a', '1'), ('b', '2')]
    """
    seen: dict[str, str] = {}
    for name, text in items:
        seen.setdefault(name, text)
    return list(seen.items())
