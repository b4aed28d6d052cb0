"""Reporting periods (outcomes.core.periods): every form, and the close's month-or-quarter."""

from __future__ import annotations

import datetime as dt

import pytest

from outcomes.core.periods import CLOSABLE, PeriodError, parse_period


def test_every_form_has_inclusive_bounds():
    assert parse_period("2026-03").bounds == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert parse_period("2024-02").end == dt.date(2024, 2, 29)
    assert parse_period("2026-02").end == dt.date(2026, 2, 28)
    assert parse_period("2026-Q4").bounds == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert parse_period("2026").bounds == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert parse_period("ytd", today=dt.date(2026, 3, 24)).bounds == (
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 24),
    )
    q4 = parse_period(" 2025-q4 ", forms=CLOSABLE)
    assert (q4.label, q4.start, q4.end) == ("2025-Q4", dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert parse_period("2026-1", forms=CLOSABLE).label == "2026-01"


def test_a_week_belongs_to_the_period_of_its_week_start():
    # even when the week ends in the next period
    assert parse_period("2026-Q1").contains(dt.date(2026, 3, 30))
    assert not parse_period("2026-04").contains(dt.date(2026, 3, 30))


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "last week", "26-01", "Q1"])
def test_unreadable_periods_are_refused(bad):
    with pytest.raises(PeriodError, match="YYYY-MM"):
        parse_period(bad)


@pytest.mark.parametrize("bad", ["2026", "YTD"])
def test_a_close_takes_a_month_or_a_quarter_only(bad):
    with pytest.raises(PeriodError, match="is not a month .* or a quarter"):
        parse_period(bad, forms=CLOSABLE)
