"""Expected rows of a metric over data of one AI system (the golden fixtures' ``triage``).

With one system, the system's rows and the company's rows (system null) are the same figures:
:func:`one_system` writes each expected row ``(week, *dims)`` for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SYSTEM = "triage"  # tests.metricfixtures.event's default system


def one_system(
    expected: Mapping[tuple, Iterable[object]], system: str = SYSTEM
) -> dict[tuple, list[object]]:
    """``{(week, *dims): v}`` -> ``{(week, system, *dims): v, (week, None, *dims): v}``.

    >>> one_system({("w", "v1"): [1.0]})
    {('w', 'triage', 'v1'): [1.0], ('w', None, 'v1'): [1.0]}
    """
    out: dict[tuple, list[object]] = {}
    for key, values in expected.items():
        for s in (system, None):
            out[(key[0], s, *key[1:])] = list(values)
    return out
