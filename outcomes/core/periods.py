"""Reporting periods: a month, a quarter, a year or the year to date, as inclusive day bounds.

One parser for every caller: the ROI summary, trace and page take any form; a period close and
an audit pack take a month or a quarter only (``forms=CLOSABLE``). A week belongs to the period
that contains its ``week_start``.

>>> parse_period("2026-Q1")
Period(label='2026-Q1', start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31))
>>> parse_period("2026-02").end
datetime.date(2026, 2, 28)
>>> parse_period("YTD", today=dt.date(2026, 5, 6)).bounds
(datetime.date(2026, 1, 1), datetime.date(2026, 5, 6))
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from outcomes.errors import OutcomesError

# Each form as an error message names it.
FORMS = {
    "month": "a month (YYYY-MM, e.g. 2026-03)",
    "quarter": "a quarter (YYYY-Qn, e.g. 2026-Q1)",
    "year": "a year (YYYY, e.g. 2026)",
    "ytd": "YTD (1 January to today)",
}
ANY_FORM = tuple(FORMS)
CLOSABLE = ("month", "quarter")  # what a period close and an audit pack accept


class PeriodError(OutcomesError, ValueError):
    """A period label that is none of the accepted forms (``YYYY-MM``, ``YYYY-Qn`` ...)."""


@dataclass(frozen=True)
class Period:
    """A named span of days, both ends inclusive."""

    label: str
    start: dt.date
    end: dt.date  # inclusive

    def contains(self, day: dt.date) -> bool:
        """True when ``day`` (a week's ``week_start``) lies in the period."""
        return self.start <= day <= self.end

    @property
    def bounds(self) -> tuple[dt.date, dt.date]:
        """``(start, end)``, both inclusive."""
        return self.start, self.end


def parse_period(
    text: str, *, today: dt.date | None = None, forms: Sequence[str] = ANY_FORM
) -> Period:
    """The period ``text`` names, among ``forms`` (default: all of :data:`FORMS`).

    ``YTD`` runs from 1 January of ``today``'s year (default: today, UTC) to ``today``.

    >>> parse_period("2025-q4").label, parse_period("2026-3").label
    ('2025-Q4', '2026-03')
    >>> parse_period("2025").bounds
    (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    >>> parse_period("2026", forms=CLOSABLE)
    Traceback (most recent call last):
    ...
    outcomes.core.periods.PeriodError: period '2026' is not a month (YYYY-MM, e.g. 2026-03) or a quarter (YYYY-Qn, e.g. 2026-Q1)
    """
    label = str(text).strip().upper()
    if "ytd" in forms and label == "YTD":
        day = today or dt.datetime.now(dt.UTC).date()
        return Period(label, dt.date(day.year, 1, 1), day)
    if "year" in forms and (m := re.fullmatch(r"(\d{4})", label)):
        year = int(m[1])
        return Period(label, dt.date(year, 1, 1), dt.date(year, 12, 31))
    if "month" in forms and (m := re.fullmatch(r"(\d{4})-(\d{1,2})", label)):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"period {text!r}: the month of YYYY-MM must be 01..12")
        return Period(f"{year:04d}-{month:02d}", dt.date(year, month, 1), _month_end(year, month))
    if "quarter" in forms and (m := re.fullmatch(r"(\d{4})-Q([1-4])", label)):
        year, quarter = int(m[1]), int(m[2])
        first = 3 * quarter - 2
        return Period(label, dt.date(year, first, 1), _month_end(year, first + 2))
    names = [FORMS[f] for f in forms]
    accepted = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    raise PeriodError(f"period {text!r} is not {accepted}")


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])
