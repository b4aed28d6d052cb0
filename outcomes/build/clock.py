"""The build's clock: the time a build records and its SQL reads as ``setting('as_of')``.

Fixed (``build_snapshot(as_of=...)`` or the ``build_as_of`` setting) a build is reproducible:
the same raw store gives the same snapshot whatever the day; unset, it is the real UTC time.

>>> clock = build_clock(dt.datetime(2026, 11, 19, 12, 0))
>>> clock(), clock() == clock()
(datetime.datetime(2026, 11, 19, 12, 0), True)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """Now, in UTC, naive, to the second."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def build_clock(as_of: dt.datetime | None) -> Clock:
    """A clock that always reads ``as_of`` when it is given, else the real time."""
    if as_of is None:
        return utc_now
    return lambda: as_of
