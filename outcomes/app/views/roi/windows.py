"""The ROI page's periods: the picker's choices, the window picked and the previous period it
is compared with.

- A period is a month, a quarter, the year to date (1 January to the build's ``as_of`` day) or
  a custom range of days; a week belongs to it when its ``week_start`` is inside (as in
  :mod:`outcomes.roi.summary`).
- The previous period is the previous period of the same kind, as finance compares them: the
  month before a month, the quarter before a quarter, the same days of the year before for the
  year to date; a custom range is compared with as many reporting weeks right before it. A
  month can hold 4 or 5 week starts: the headline says how many weeks each side has when they
  differ.

>>> w = make_window("month", "2026-03", weeks=(dt.date(2026, 3, 2),), as_of=dt.date(2026, 5, 1))
>>> previous_window(w, anchor=dt.date(2026, 3, 2))
Window(kind='previous', label='previous month (2026-02)', start=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 28))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from outcomes.app import queries
from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.core.periods import parse_period

WINDOW_KINDS: dict[str, str] = {
    "month": "Month",
    "quarter": "Quarter",
    "ytd": "Year to date",
    "custom": "Custom",
}
# The queries behind the period picker (shown with the page's panels).
CALENDAR_QUERIES = (
    "roi_ledger_weeks",
    "roi_ledger_line_count",
    "roi_build_settings",
    "roi_build_id",
)


@dataclass(frozen=True)
class Window:
    """A period of the ledger, inclusive bounds on week_start."""

    kind: str  # month | quarter | ytd | custom | previous
    label: str
    start: dt.date
    end: dt.date

    @property
    def closable(self) -> str | None:
        """The label ``outcomes roi close`` / the audit pack take (months and quarters)."""
        return self.label if self.kind in ("month", "quarter") else None

    @property
    def span(self) -> str:
        """The window's days as text (``01 Mar 2026 – 31 Mar 2026``)."""
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"


@dataclass(frozen=True)
class LedgerCalendar:
    """What the period picker needs from the snapshot; ``missing`` says why there is no
    ledger to pick from (a snapshot built before the ledger existed)."""

    weeks: tuple[dt.date, ...]
    as_of: dt.date | None
    currency: str
    build_id: str | None
    lines: int = 0
    missing: str | None = None

    @property
    def anchor(self) -> dt.date | None:
        """The first ledger week: the reporting weeks' weekday."""
        return self.weeks[0] if self.weeks else None

    @property
    def last_day(self) -> dt.date | None:
        """The build's as_of day, else the last day of the last ledger week."""
        return self.as_of or (self.weeks[-1] + dt.timedelta(days=6) if self.weeks else None)


def ledger_calendar(con: duckdb.DuckDBPyConnection) -> LedgerCalendar:
    """Weeks of ``main.roi_ledger``, the build's as_of day, currency and build id.

    >>> ledger_calendar(duckdb.connect()).missing.startswith("this snapshot has no ROI ledger")
    True
    """
    con = catalog_safe(con)
    try:
        weeks = [r[0] for r in queries.rows(con, "roi_ledger_weeks", {"start": None, "end": None})]
        lines = queries.rows(con, "roi_ledger_line_count")[0][0]
    except duckdb.CatalogException:
        return LedgerCalendar(
            (),
            None,
            "USD",
            None,
            missing="this snapshot has no ROI ledger (main.roi_ledger): rebuild with `outcomes build` "
            "and the ROI lines in sql/roi",
        )
    settings = dict(queries.rows(con, "roi_build_settings"))
    as_of = settings.get("as_of")
    build = queries.rows(con, "roi_build_id")
    return LedgerCalendar(
        weeks=tuple(weeks),
        as_of=dt.datetime.fromisoformat(str(as_of).replace("T", " ")).date() if as_of else None,
        currency=str(settings.get("currency") or "USD"),
        build_id=build[0][0] if build else None,
        lines=int(lines or 0),
    )


def period_weeks(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> list[dt.date]:
    """Ledger weeks of the period, newest first (for the line drill-down)."""
    found = queries.rows(catalog_safe(con), "roi_ledger_weeks", {"start": start, "end": end})
    return [r[0] for r in reversed(found)]


def period_labels(weeks: Sequence[dt.date], kind: str) -> list[str]:
    """Months (``YYYY-MM``) or quarters (``YYYY-Qn``) that hold ledger weeks, newest first.

    >>> period_labels([dt.date(2026, 3, 30), dt.date(2026, 4, 6)], "quarter")
    ['2026-Q2', '2026-Q1']
    """
    if kind == "month":
        labels = {f"{w:%Y-%m}" for w in weeks}
    elif kind == "quarter":
        labels = {f"{w.year}-Q{(w.month - 1) // 3 + 1}" for w in weeks}
    else:
        raise ValueError(f"period_labels takes month or quarter, not {kind!r}")
    return sorted(labels, reverse=True)


def make_window(
    kind: str,
    label: str | None = None,
    *,
    weeks: Sequence[dt.date] = (),
    as_of: dt.date | None = None,
    custom: tuple[dt.date, dt.date] | None = None,
) -> Window:
    """The window the picker chose. ``label`` for month / quarter (default: the newest with
    ledger weeks); ``custom`` = (first day, last day) for custom; YTD ends at ``as_of``.

    >>> make_window("ytd", as_of=dt.date(2026, 5, 6)).span
    '01 Jan 2026 – 06 May 2026'
    """
    if kind in ("month", "quarter"):
        if not label:
            labels = period_labels(weeks, kind)
            label = labels[0] if labels else None
        if label is None:
            raise ValueError("no ledger weeks to pick a period from")
        start, end = parse_period(label).bounds
        return Window(kind, label, start, end)
    if kind == "ytd":
        day = as_of or (max(weeks) if weeks else dt.date.today())
        start, end = parse_period("YTD", today=day).bounds
        return Window(kind, f"Year to date {day.year}", start, end)
    if kind == "custom":
        if custom is None:
            raise ValueError("a custom period needs (first day, last day)")
        start, end = sorted(custom)
        return Window(kind, f"{start:%Y-%m-%d} to {end:%Y-%m-%d}", start, end)
    raise ValueError(f"unknown period kind {kind!r}; expected one of {sorted(WINDOW_KINDS)}")


def grid_weeks(start: dt.date, end: dt.date, anchor: dt.date) -> list[dt.date]:
    """The reporting-week starts between ``start`` and ``end`` (same weekday as ``anchor``).

    >>> grid_weeks(dt.date(2026, 3, 1), dt.date(2026, 3, 31), dt.date(2026, 1, 5))[0]
    datetime.date(2026, 3, 2)
    """
    first = start + dt.timedelta(days=(anchor - start).days % 7)
    out = []
    while first <= end:
        out.append(first)
        first += dt.timedelta(days=7)
    return out


def previous_window(window: Window, anchor: dt.date) -> Window:
    """The previous period of the same kind as ``window`` (see the module doc).

    >>> previous_window(make_window("quarter", "2026-Q1"), dt.date(2026, 1, 5)).label
    'previous quarter (2025-Q4)'
    >>> ytd = make_window("ytd", as_of=dt.date(2024, 2, 29))
    >>> previous_window(ytd, dt.date(2024, 1, 1)).span
    '01 Jan 2023 – 28 Feb 2023'
    """
    if window.kind in ("month", "quarter"):
        before = parse_period(window.label).start - dt.timedelta(days=1)
        label = (
            f"{before:%Y-%m}"
            if window.kind == "month"
            else f"{before.year}-Q{(before.month - 1) // 3 + 1}"
        )
        p = parse_period(label)
        return Window("previous", f"previous {window.kind} ({p.label})", p.start, p.end)
    if window.kind == "ytd":
        year = window.start.year - 1
        end = window.end.replace(
            year=year, day=min(window.end.day, 28 if window.end.month == 2 else 31)
        )
        return Window("previous", f"same days of {year}", dt.date(year, 1, 1), end)
    weeks = grid_weeks(window.start, window.end, anchor)
    n = max(1, len(weeks))
    first = weeks[0] if weeks else window.start
    start = first - dt.timedelta(weeks=n)
    return Window(
        "previous", f"previous {n} week{'s' if n != 1 else ''}", start, first - dt.timedelta(days=1)
    )


def default_label(options: Sequence[str], kind: str, last_day: dt.date | None) -> str:
    """The newest month / quarter that is over at ``last_day`` (else the newest one).

    >>> default_label(["2026-11", "2026-10"], "month", dt.date(2026, 11, 22))
    '2026-10'
    """
    for label in options:
        if last_day is None or parse_period(label).end <= last_day:
            return label
    return options[0]


def default_custom(calendar: LedgerCalendar) -> tuple[dt.date, dt.date]:
    """The last 13 ledger weeks, for a first custom range."""
    weeks = calendar.weeks
    return weeks[max(0, len(weeks) - 13)], calendar.last_day or weeks[-1]


def coverage_note(prior: Window, calendar: LedgerCalendar) -> str | None:
    """Says when the previous period is (partly) before the first ledger week."""
    if not calendar.weeks or prior.start >= calendar.weeks[0]:
        return None
    wanted = grid_weeks(prior.start, prior.end, calendar.weeks[0])
    have = [w for w in wanted if w >= calendar.weeks[0]]
    if not have:
        return (
            f"The ledger starts on {calendar.weeks[0]:%d %b %Y}: there is no previous period to "
            "compare with, so no changes are shown."
        )
    return (
        f"The ledger starts on {calendar.weeks[0]:%d %b %Y}: the previous period has only "
        f"{len(have)} of its {len(wanted)} weeks, so the changes compare unequal spans."
    )


def slug(window: Window) -> str:
    """File-name part of a window: ``2026-q1``, ``year-to-date-2026``, ``2026-01-05-to-2026-03-29``.

    >>> slug(Window("ytd", "Year to date 2026", dt.date(2026, 1, 1), dt.date(2026, 5, 6)))
    'year-to-date-2026'
    """
    return "-".join(window.label.lower().split())
