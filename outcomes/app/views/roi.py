"""The ROI page's figures: periods, headline with previous-period changes, "show working",
closes and restatements, and the downloads. Streamlit-free; ``pages/roi.py`` lays it out.

Conventions (docs/DECISIONS.md material):

- A period is a month, a quarter, the year to date (1 January to the build's ``as_of`` day) or
  a custom range of days; a week belongs to it when its ``week_start`` is inside (as in
  :mod:`outcomes.roi.summary`).
- The previous period has the same length in ledger weeks: the ``n`` reporting weeks right
  before the first week of the period, where ``n`` is the number of reporting weeks in the
  period. A calendar month can hold 4 or 5 week starts; comparing equal numbers of weeks keeps
  a 5-week month from looking 25 % better than a 4-week one.
- Headline: net value to date (inception to the period's end), net value in the period, ROI of
  the period (net / costs), payback week (first week with cumulative net >= 0), annualised
  run-rate (last 4 complete weeks x 13) and projected monthly inference cost at production
  volume against the monthly budget, each from :func:`outcomes.roi.summary.summarise`.
- Money stays Decimal; :func:`money` rounds half up, to whole units in the headline tiles and to
  cents everywhere else.

>>> from decimal import Decimal
>>> money(Decimal("-1234567.5"), "USD"), money(Decimal("1234.565"), "EUR", cents=True)
('-$1,234,568', '€1,234.57')
>>> w = make_window("month", "2026-03", weeks=(dt.date(2026, 3, 2),), as_of=dt.date(2026, 5, 1))
>>> previous_window(w, anchor=dt.date(2026, 3, 2))
Window(kind='previous', label='previous 5 weeks', start=datetime.date(2026, 1, 26), end=datetime.date(2026, 3, 1))
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from outcomes.roi import ledger
from outcomes.roi import summary as roi_summary
from outcomes.roi.summary import RoiSummary

WINDOW_KINDS: dict[str, str] = {
    "month": "Month",
    "quarter": "Quarter",
    "ytd": "Year to date",
    "custom": "Custom",
}
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
CENT = Decimal("0.01")
UNIT = Decimal("1")
MINUS = "-"  # ASCII: st.metric reads a leading "-" as a fall


# -- formatting ------------------------------------------------------------------------------


def money(amount: Decimal | None, currency: str, *, cents: bool = False) -> str:
    """An amount for display: rounded half up, thousands separated, with the currency."""
    if amount is None:
        return "–"
    q = Decimal(amount).quantize(CENT if cents else UNIT, rounding=ROUND_HALF_UP)
    sign = MINUS if q < 0 else ""
    body = f"{abs(q):,}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def signed_money(amount: Decimal | None, currency: str, *, cents: bool = False) -> str:
    """A change in money with its sign (``+$1,200`` / ``−$300``).

    >>> signed_money(Decimal("1200.4"), "USD"), signed_money(Decimal("-3"), "USD")
    ('+$1,200', '-$3')
    """
    if amount is None:
        return "–"
    text = money(amount, currency, cents=cents)
    return text if text.startswith(MINUS) else f"+{text}"


def percent(ratio: Decimal | None, places: int = 1) -> str:
    """A ratio as a percentage (``Decimal('15.1231')`` -> ``1,512.3%``).

    >>> percent(Decimal("0.05"), 0), percent(None)
    ('5%', '–')
    """
    if ratio is None:
        return "–"
    q = (Decimal(ratio) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = MINUS if q < 0 else ""
    return f"{sign}{abs(q):,}%"


def points(change: Decimal | None, places: int = 1) -> str:
    """A change of a ratio in percentage points (``+12.3 pp``).

    >>> points(Decimal("0.123")), points(Decimal("-0.5"), 0)
    ('+12.3 pp', '-50 pp')
    """
    if change is None:
        return "–"
    q = (Decimal(change) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{MINUS if q < 0 else '+'}{abs(q):,} pp"


# -- periods ---------------------------------------------------------------------------------


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
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"


@dataclass(frozen=True)
class LedgerCalendar:
    """What the period picker needs from the snapshot."""

    weeks: tuple[dt.date, ...]
    as_of: dt.date | None
    currency: str
    build_id: str | None
    lines: int = 0

    @property
    def anchor(self) -> dt.date | None:
        return self.weeks[0] if self.weeks else None

    @property
    def last_day(self) -> dt.date | None:
        return self.as_of or (self.weeks[-1] + dt.timedelta(days=6) if self.weeks else None)


def ledger_calendar(con: duckdb.DuckDBPyConnection) -> LedgerCalendar:
    """Weeks of ``main.roi_ledger``, the build's as_of day, currency and build id.

    Raises :class:`outcomes.roi.ledger.LedgerMissing` when the snapshot has no ledger.
    """
    try:
        weeks = [
            r[0] for r in _fetch(con, "select distinct week_start from main.roi_ledger order by 1")
        ]
        lines = _fetch(con, "select count(distinct line_id) from main.roi_ledger")[0][0]
    except duckdb.CatalogException as exc:
        raise ledger.LedgerMissing(
            "this snapshot has no ROI ledger (main.roi_ledger): rebuild with `outcomes build` "
            "and the ROI lines in sql/roi"
        ) from exc
    settings = dict(_fetch(con, "select key, value from main.build_settings"))
    as_of = settings.get("as_of")
    build = _fetch(con, "select build_id from main.build_manifest limit 1")
    return LedgerCalendar(
        weeks=tuple(weeks),
        as_of=dt.datetime.fromisoformat(str(as_of).replace("T", " ")).date() if as_of else None,
        currency=str(settings.get("currency") or "USD"),
        build_id=build[0][0] if build else None,
        lines=int(lines or 0),
    )


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
        start, end = roi_summary.period_bounds(label)
        return Window(kind, label, start, end)
    if kind == "ytd":
        day = as_of or (max(weeks) if weeks else dt.date.today())
        start, end = roi_summary.period_bounds("YTD", today=day)
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
    """The same number of reporting weeks right before ``window`` (see the module doc)."""
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
        if last_day is None or roi_summary.period_bounds(label)[1] <= last_day:
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


# -- headline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One headline tile."""

    key: str
    label: str
    text: str
    delta: str | None  # change against the previous period, as text (None: no comparison)
    delta_color: str  # normal (up is good) | inverse (up is bad) | off
    help: str
    value: Any = None
    previous: Any = None
    original: str | None = None  # the figure as closed, when the period was restated
    arrow: str = "auto"  # st.metric delta_arrow: off for changes that are not a rise or fall
    alert: str | None = None  # a line the reader must not miss (e.g. over budget)


FIGURE_KEYS = ("net_to_date", "net_period", "roi", "payback", "run_rate", "inference_budget")


def headline(current: RoiSummary, previous: RoiSummary, prior: Window) -> list[Figure]:
    """The six headline figures of ``current`` with their change against ``previous``.

    ``prior`` names the previous period in the help texts.
    """
    c = current.currency
    vs = f"against the {prior.label} ({prior.start:%d %b} – {prior.end:%d %b %Y})"
    if not previous.weeks:
        vs = "not shown: the ledger has no week in the previous period"
    figures = [
        Figure(
            "net_to_date",
            "Net value to date",
            money(current.cumulative_net, c),
            _money_delta(current.cumulative_net, previous.cumulative_net, c),
            "normal",
            f"All benefits minus all costs from the first ledger week to {_end(current)}: "
            f"{money(current.cumulative_net, c, cents=True)}. Change {vs}.",
            current.cumulative_net,
            previous.cumulative_net,
        ),
        Figure(
            "net_period",
            "Net value in period",
            money(current.net_value, c),
            _money_delta(current.net_value, previous.net_value, c),
            "normal",
            f"Benefits {money(current.total_benefits, c, cents=True)} minus costs "
            f"{money(current.total_costs, c, cents=True)} = {money(current.net_value, c, cents=True)}. "
            f"Change {vs}.",
            current.net_value,
            previous.net_value,
        ),
        Figure(
            "roi",
            "ROI",
            percent(current.roi),
            points(current.roi - previous.roi)
            if current.roi is not None and previous.roi is not None
            else None,
            "normal",
            "Net value / costs of the period"
            + (
                f": {money(current.net_value, c, cents=True)} / {money(current.total_costs, c, cents=True)}"
                if current.roi is not None
                else " (no costs in the period)"
            )
            + f". Change in percentage points {vs}.",
            current.roi,
            previous.roi,
        ),
        Figure(
            "payback",
            "Payback week",
            f"{current.payback_week:%d %b %Y}" if current.payback_week else "Not yet",
            _payback_delta(current.payback_week, previous.payback_week),
            "off",
            "First week whose cumulative net value (from the first ledger week) is zero or more"
            + (
                f"; the cumulative net is {money(current.cumulative_net, c)} now."
                if current.weeks
                else "."
            )
            + f" Compared {vs}.",
            current.payback_week,
            previous.payback_week,
            arrow="off",
        ),
        Figure(
            "run_rate",
            "Annualised run-rate",
            money(current.run_rate_annualised, c)
            if current.run_rate_annualised is not None
            else "n/a",
            _money_delta(current.run_rate_annualised, previous.run_rate_annualised, c),
            "normal",
            (
                f"Net value of the last {roi_summary.RUN_RATE_WEEKS} complete weeks of the period "
                f"({current.run_rate_weeks[0]:%d %b} – {current.run_rate_weeks[-1]:%d %b %Y}) × 52 / 4."
                if current.run_rate_weeks
                else f"Needs {roi_summary.RUN_RATE_WEEKS} complete weeks in the period."
            )
            + f" Change {vs}.",
            current.run_rate_annualised,
            previous.run_rate_annualised,
        ),
        _inference_figure(current, previous, vs),
    ]
    if not previous.weeks:
        from dataclasses import replace

        figures = [replace(f, delta=None) for f in figures]
    return figures


def _inference_figure(current: RoiSummary, previous: RoiSummary, vs: str) -> Figure:
    p, q = current.projection, previous.projection
    c = current.currency
    if p is None:
        return Figure(
            "inference_budget",
            "Inference cost vs budget",
            "n/a",
            None,
            "off",
            "No projection: the period has no complete week with AI events, or the assumptions "
            "register has no projected_monthly_volume.",
        )
    if p.budget_ratio is None:
        text, delta = f"{money(p.projected_monthly_cost, c)}/mo", None
        help_budget = "The assumptions register has no monthly_budget to compare with."
    else:
        text = f"{percent(p.budget_ratio, 0)} of budget"
        delta = (
            points(p.budget_ratio - q.budget_ratio) if q and q.budget_ratio is not None else None
        )
        help_budget = f"Budget {money(p.monthly_budget, c)}/month" + (
            " — OVER BUDGET." if p.over_budget else "."
        )
    return Figure(
        "inference_budget",
        "Inference cost vs budget",
        text,
        delta,
        "inverse",
        f"Projected monthly inference cost at production volume: {money(p.projected_monthly_cost, c, cents=True)} "
        f"= cost per inference {money(p.cost_per_inference, c, cents=True) if p.cost_per_inference >= CENT else f'{p.cost_per_inference:.6f} {c}'}"
        f" (week {p.week_start:%d %b %Y}) × {p.projected_monthly_volume.normalize():,f} events × "
        f"headroom {ledger.decimal_text(p.headroom)}. {help_budget} Change {vs}.",
        p.budget_ratio,
        q.budget_ratio if q else None,
        alert=(
            f"Over budget: {money(p.projected_monthly_cost, c)}/month projected against "
            f"{money(p.monthly_budget, c)}/month"
            if p.over_budget
            else None
        ),
    )


def _end(summary: RoiSummary) -> str:
    if summary.end is not None:
        return f"{summary.end:%d %b %Y}"
    return f"{summary.last_week:%d %b %Y}" if summary.last_week else "date"


def _money_delta(now: Decimal | None, before: Decimal | None, currency: str) -> str | None:
    if now is None or before is None:
        return None
    return signed_money(now - before, currency)


def _payback_delta(now: dt.date | None, before: dt.date | None) -> str | None:
    if now is None:
        return "not paid back yet"
    if before is None:
        return "reached in this period"
    return "unchanged" if now == before else f"moved from {before:%d %b %Y}"


# -- closes and restatements -----------------------------------------------------------------


@dataclass(frozen=True)
class CloseNote:
    """A closed period that overlaps the window, and what a later build changed in it."""

    period: str
    start: dt.date
    end: dt.date
    closed_by: str
    closed_at: dt.datetime
    build_id: str
    restated: bool = False
    original_totals: dict[str, str | None] = field(default_factory=dict)
    restated_totals: dict[str, str | None] = field(default_factory=dict)
    changes: tuple[str, ...] = ()

    def describe(self, currency: str) -> str:
        head = f"{self.period} closed by {self.closed_by} on {self.closed_at:%d %b %Y} (build {self.build_id})"
        if not self.restated:
            return head + ": unchanged since."
        before = _dec(self.original_totals.get("net"))
        after = _dec(self.restated_totals.get("net"))
        text = f"{head}: RESTATED, net value {money(before, currency, cents=True)} at close, {money(after, currency, cents=True)} now"
        if self.changes:
            text += " — " + "; ".join(self.changes[:4]) + (" …" if len(self.changes) > 4 else "")
        return text


def close_notes(
    window: Window, closes: Iterable[Any], restatements: Iterable[Any]
) -> list[CloseNote]:
    """Closed periods (``period_close.closed_periods``) that overlap ``window``, each with its
    restatement (``period_close.restatements``) when the current ledger differs."""
    restated = {r.period: r for r in restatements if getattr(r, "restated", False)}
    notes = []
    for c in closes:
        if c.end < window.start or c.start > window.end:
            continue
        r = restated.get(c.period)
        notes.append(
            CloseNote(
                period=c.period,
                start=c.start,
                end=c.end,
                closed_by=c.closed_by,
                closed_at=c.closed_at,
                build_id=c.build_id,
                restated=r is not None,
                original_totals=dict(r.original_totals) if r else dict(c.totals),
                restated_totals=dict(r.restated_totals) if r else dict(c.totals),
                changes=tuple(r.changed_inputs()) if r else (),
            )
        )
    return sorted(notes, key=lambda n: n.start)


def original_figures(
    current: RoiSummary, notes: Sequence[CloseNote]
) -> dict[str, Decimal | None] | None:
    """Net value and ROI of the window as they were closed: the current totals minus what
    the restatements of the closed periods inside the window changed. None when nothing in
    the window was restated.

    Only closed periods wholly inside the window count (a part of a period cannot be
    compared: the close froze the period's totals, not its weeks').
    """
    inside = [
        n
        for n in notes
        if n.restated and n.start >= (current.start or n.start) and n.end <= (current.end or n.end)
    ]
    if not inside:
        return None
    benefits, costs = current.total_benefits, current.total_costs
    for n in inside:
        benefits -= _dec(n.restated_totals.get("benefits")) - _dec(
            n.original_totals.get("benefits")
        )
        costs -= _dec(n.restated_totals.get("costs")) - _dec(n.original_totals.get("costs"))
    return {"net": benefits - costs, "roi": roi_summary.ratio(benefits - costs, costs)}


def with_originals(
    figures: list[Figure], original: dict[str, Decimal | None] | None, currency: str
) -> list[Figure]:
    """Put the closed (original) net value and ROI beside the restated ones."""
    if not original:
        return figures
    out = []
    for f in figures:
        if f.key == "net_period":
            f = _replace(f, original=money(original["net"], currency))
        elif f.key == "roi":
            f = _replace(f, original=percent(original["roi"]))
        out.append(f)
    return out


def _replace(f: Figure, **changes: Any) -> Figure:
    from dataclasses import replace

    return replace(f, **changes)


def _dec(text: Any) -> Decimal:
    return Decimal(str(text)) if text not in (None, "") else Decimal(0)


# -- show working ----------------------------------------------------------------------------


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


def working(con: duckdb.DuckDBPyConnection, key: str, start: dt.date, end: dt.date) -> Working:
    """The working of headline figure ``key`` (:data:`FIGURE_KEYS`) for the period."""
    from outcomes.roi import trace

    con = catalog_safe(con)
    if key in ("net_to_date", "net_period", "roi", "run_rate"):
        figure = {
            "net_to_date": "cumulative_net",
            "net_period": "net_value",
            "roi": "roi",
            "run_rate": "run_rate_annualised",
        }[key]
        try:
            t = trace.trace(con, figure=figure, period=(start, end))
        except trace.TraceError as exc:
            return _empty_working(key, str(exc))
        return _from_trace(con, t)
    if key == "payback":
        return payback_working(roi_summary.summarise(con, None, end))
    if key == "inference_budget":
        return projection_working(con, roi_summary.summarise(con, start, end))
    raise ValueError(f"unknown figure {key!r}")


def line_working(con: duckdb.DuckDBPyConnection, line_id: str, week: dt.date) -> Working:
    """One ledger line in one week: formula with numbers, every input with its source, owner
    and date, the SQL of the line and of each input, and each input's rows."""
    from outcomes.roi import trace

    con = catalog_safe(con)
    t = trace.trace(con, line_id=line_id, week=week)
    w = _from_trace(con, t, line_sql=False)
    sql = [(t.sql_name or f"roi.{line_id}", t.sql or "")] if t.sql else []
    sql += [(i.sql_name, i.sql) for i in t.inputs if i.sql and i.sql_name]
    frames = []
    for i in t.inputs:
        if len(i.rows):
            frames.append(i.rows.head(20).assign(**{"(input)": i.name}).astype(str))
    rows = pd.concat(frames, ignore_index=True) if frames else t.rows
    return Working(
        title=w.title,
        formula=w.formula,
        formula_filled=w.formula_filled,
        result=w.result,
        inputs=w.inputs,
        sql=tuple(_dedupe(sql)),
        rows=rows,
        rows_title="Rows behind each input (metric rows, assumption versions, cost rows, sample events)",
        notes=w.notes,
    )


def _from_trace(con: duckdb.DuckDBPyConnection, t: Any, *, line_sql: bool = True) -> Working:
    c = t.currency
    if t.value is None:
        result = "n/a"
    elif t.figure == "roi":
        result = percent(t.value, 2)
    else:
        result = f"{money(t.value, c, cents=True)} (exact {ledger.decimal_text(t.value)})"
    inputs = pd.DataFrame(
        [
            {
                "input": i.name,
                "value": ledger.decimal_text(i.value),
                "unit": i.unit or "",
                "source": i.source_type,
                "source_ref": i.source_ref,
                "owner": i.owner or "",
                "effective_from": i.effective_from or "",
                "note": i.note or "",
            }
            for i in t.inputs
        ],
        columns=INPUT_COLUMNS,
    )
    sql: list[tuple[str, str]] = []
    if t.sql:
        sql.append((t.sql_name or "sql", t.sql))
    if line_sql:
        sql += roi_sql(con, [f"roi.{line.line_id}" for line in t.lines])
    notes = tuple(n for n in (t.sql_note,) if n)
    rows = t.rows.head(50) if len(t.rows) else t.rows
    return Working(
        title=t.label,
        formula=t.formula,
        formula_filled=t.formula_filled,
        result=result,
        inputs=inputs,
        sql=tuple(_dedupe(sql)),
        rows=rows,
        rows_title=f"Ledger rows behind the figure ({len(t.rows)} rows{', first 50 shown' if len(t.rows) > 50 else ''})",
        notes=notes,
    )


def _empty_working(key: str, why: str) -> Working:
    return Working(
        key, "", "", "n/a", pd.DataFrame(columns=INPUT_COLUMNS), (), pd.DataFrame(), notes=(why,)
    )


def roi_sql(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> list[tuple[str, str]]:
    """SQL texts the snapshot was built with (``main.roi_sql``), in ``names`` order."""
    try:
        found = dict(
            _fetch(
                con,
                "select name, sql from main.roi_sql where list_contains(?, name)",
                [list(names)],
            )
        )
    except duckdb.CatalogException:
        found = {}
    return [(n, found[n]) for n in names if n in found]


def payback_working(history: RoiSummary) -> Working:
    """Payback week: the cumulative net by week from the first ledger week, around the week
    it turns non-negative."""
    c = history.currency
    frame = pd.DataFrame(
        [
            {
                "week_start": w.week_start,
                "benefits": ledger.amount_text(w.benefits),
                "costs": ledger.amount_text(w.costs),
                "net": ledger.amount_text(w.net),
                "cumulative_net": ledger.amount_text(w.cumulative_net),
                "cumulative_net_display": money(w.cumulative_net, c, cents=True),
            }
            for w in history.weeks
        ]
    )
    p = history.payback_week
    if p is None:
        filled = (
            f"no week yet: cumulative net is {money(history.cumulative_net, c, cents=True)} at "
            f"{history.last_week or 'the start'}"
        )
        rows = frame.tail(8)
    else:
        idx = next(i for i, w in enumerate(history.weeks) if w.week_start == p)
        before = history.weeks[idx - 1] if idx else None
        filled = (
            f"cumulative net {money(before.cumulative_net, c, cents=True)} at {before.week_start} < 0 ≤ "
            if before
            else ""
        ) + f"{money(history.weeks[idx].cumulative_net, c, cents=True)} at {p}"
        rows = frame.iloc[max(0, idx - 4) : idx + 4]
    inputs = pd.DataFrame(
        [
            {
                "input": "weekly net value",
                "value": f"{len(history.weeks)} weeks",
                "unit": c,
                "source": "ledger",
                "source_ref": "main.roi_ledger: benefits − costs per week_start, all lines",
                "owner": "",
                "effective_from": "",
                "note": "running sum from the first ledger week",
            }
        ],
        columns=INPUT_COLUMNS,
    )
    return Working(
        title=f"payback week, inception to {history.end or history.last_week}",
        formula="payback_week = first week_start with sum(benefits − costs, first week .. week) ≥ 0",
        formula_filled=filled,
        result=f"{p:%Y-%m-%d}" if p else "not paid back yet",
        inputs=inputs,
        sql=(("main.roi_ledger (weekly net)", PAYBACK_SQL),),
        rows=rows.reset_index(drop=True),
        rows_title="Cumulative net around the payback week",
    )


PAYBACK_SQL = """select week_start,
       sum(case when category = 'benefit' then amount else -amount end) as net,
       sum(sum(case when category = 'benefit' then amount else -amount end))
           over (order by week_start) as cumulative_net
from main.roi_ledger
group by week_start
qualify cumulative_net >= 0
order by week_start
limit 1"""


def projection_working(con: duckdb.DuckDBPyConnection, summary: RoiSummary) -> Working:
    """Projected monthly inference cost vs budget: cost per inference of the last complete
    week x projected volume x headroom, each assumption with its owner and date."""
    p = summary.projection
    c = summary.currency
    if p is None:
        return _empty_working(
            "inference_budget",
            "no projection for this period (no complete week with events, or no projected_monthly_volume assumption)",
        )
    week = p.week_start
    assumptions = {}
    for key in ("projected_monthly_volume", "headroom", "monthly_budget"):
        found = _frame(
            con,
            "select key, effective_from, value, unit, owner, source, note from staging.assumptions "
            "where key = ? and effective_from <= ? order by effective_from desc limit 1",
            [key, week],
        )
        assumptions[key] = found.iloc[0].to_dict() if len(found) else None
    records = [
        {
            "input": "inference_cost",
            "value": ledger.decimal_text(p.inference_cost),
            "unit": c,
            "source": "events",
            "source_ref": f"staging.ai_events: sum(cost_usd), week {week}",
            "owner": "",
            "effective_from": "",
            "note": "",
        },
        {
            "input": "events",
            "value": str(p.events),
            "unit": "events",
            "source": "events",
            "source_ref": f"staging.ai_events: count(*), week {week}",
            "owner": "",
            "effective_from": "",
            "note": "",
        },
    ]
    for key, value in (
        ("projected_monthly_volume", p.projected_monthly_volume),
        ("headroom", p.headroom),
        ("monthly_budget", p.monthly_budget),
    ):
        a = assumptions.get(key)
        records.append(
            {
                "input": key,
                "value": ledger.decimal_text(value) if value is not None else "",
                "unit": (a or {}).get("unit") or "",
                "source": "assumption" if a else "default",
                "source_ref": f"staging.assumptions: {key}" if a else f"no {key} in the register",
                "owner": (a or {}).get("owner") or "",
                "effective_from": str((a or {}).get("effective_from") or ""),
                "note": " — ".join(
                    str(x) for x in ((a or {}).get("source"), (a or {}).get("note")) if x and x == x
                ),
            }
        )
    formula = "budget_ratio = (inference_cost / events) × projected_monthly_volume × headroom / monthly_budget"
    filled = (
        f"({ledger.decimal_text(p.inference_cost)} / {p.events}) × {ledger.decimal_text(p.projected_monthly_volume)} "
        f"× {ledger.decimal_text(p.headroom)} = {money(p.projected_monthly_cost, c, cents=True)} per month"
    )
    if p.monthly_budget:
        filled += f"; / {money(p.monthly_budget, c, cents=True)} = {percent(p.budget_ratio)}"
    sql = [
        (n, s) for n, s in metric_sql(con, ["projected_inference_cost", "projected_budget_ratio"])
    ]
    sample = _frame(
        con,
        "select event_id, occurred_at, model_version, segment, tokens_in, tokens_out, cost_usd "
        "from staging.ai_events where week_start = ? order by event_id limit 20",
        [week],
    )
    return Working(
        title=f"projected monthly inference cost at production volume vs budget (week {week})",
        formula=formula,
        formula_filled=filled,
        result=percent(p.budget_ratio) + " of budget"
        if p.budget_ratio is not None
        else money(p.projected_monthly_cost, c, cents=True),
        inputs=pd.DataFrame(records, columns=INPUT_COLUMNS),
        sql=tuple(sql),
        rows=sample,
        rows_title=f"Sample of the {p.events:,} AI events of week {week} (first 20 by event id)",
        notes=("headroom: the register has none, the default 3 is used",)
        if p.headroom_assumed
        else (),
    )


def metric_sql(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> list[tuple[str, str]]:
    """SQL of metrics from ``main.metric_definitions`` (the text the snapshot was built with)."""
    try:
        found = dict(
            _fetch(
                con,
                "select name, sql from main.metric_definitions where schema = 'metrics' and list_contains(?, name)",
                [list(names)],
            )
        )
    except duckdb.CatalogException:
        found = {}
    return [(f"metrics.{n}", found[n]) for n in names if n in found]


def _dedupe(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for name, text in items:
        seen.setdefault(name, text)
    return list(seen.items())


# -- ledger view, charts' data ---------------------------------------------------------------


def line_table(summary: RoiSummary) -> pd.DataFrame:
    """Per line of the period: title, category, weeks, amount (cents) and exact amount."""
    c = summary.currency
    return pd.DataFrame(
        [
            {
                "line": t.title,
                "line_id": t.line_id,
                "category": t.category,
                "weeks": t.weeks,
                "amount": money(t.amount, c, cents=True),
                "exact": ledger.amount_text(t.amount),
            }
            for t in summary.lines
        ],
        columns=["line", "line_id", "category", "weeks", "amount", "exact"],
    )


def weekly_totals(summary: RoiSummary) -> list[tuple[dt.date, Decimal, Decimal]]:
    """(week_start, benefits, costs) of every week of a summary."""
    return [(w.week_start, w.benefits, w.costs) for w in summary.weeks]


def waterfall_lines(summary: RoiSummary) -> list[tuple[str, str, Decimal]]:
    return [(t.title, t.category, t.amount) for t in summary.lines]


def period_weeks(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> list[dt.date]:
    """Ledger weeks of the period, newest first (for the line drill-down)."""
    return [
        r[0]
        for r in _fetch(
            con,
            "select distinct week_start from main.roi_ledger where week_start between ? and ? order by 1 desc",
            [start, end],
        )
    ]


# -- downloads -------------------------------------------------------------------------------


def ledger_csv_bytes(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> bytes:
    """The period's ledger as CSV (contract columns, exact amounts, a cents display column)."""
    return ledger.ledger_csv(catalog_safe(con), start, end)


def ledger_xlsx_bytes(
    con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, label: str
) -> bytes:
    """The period's ledger as a workbook with live formulas (:mod:`outcomes.roi.xlsx_ledger`)."""
    from outcomes.roi.close import read_ledger
    from outcomes.roi.xlsx_ledger import write_ledger_xlsx

    rows = read_ledger(con, start, end)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.xlsx"
        write_ledger_xlsx(rows, path, label)
        return path.read_bytes()


def audit_pack_bytes(
    con: duckdb.DuckDBPyConnection, settings: Any, period: str, closes_key: tuple = ()
) -> bytes:
    """The audit pack zip of a month or quarter (:func:`outcomes.roi.audit_pack.export_pack`).

    ``closes_key`` only keys the cache: the pack records the period's close, so a new close
    must give a new pack.
    """
    from outcomes.roi.audit_pack import export_pack

    del closes_key
    with tempfile.TemporaryDirectory() as tmp:
        path = export_pack(con, settings, period, Path(tmp) / f"audit-pack-{period}.zip")
        return path.read_bytes()


def closes_key(closes: Iterable[Any]) -> tuple:
    """A hashable fingerprint of the closes (cache key of downloads that record them)."""
    return tuple((c.id, c.period, c.ledger_sha256) for c in closes)


# -- charts and the one-page summary ---------------------------------------------------------


def cumulative(history: RoiSummary, window: Window, annotations: pd.DataFrame | None = None) -> Any:
    """Cumulative value vs cost from the first ledger week to the window's end."""
    from outcomes.app import roi_charts

    frame = roi_charts.cumulative_frame(weekly_totals(history))
    return roi_charts.cumulative_chart(
        frame,
        currency=history.currency,
        period=(window.start, min(window.end, history.last_week or window.end)),
        payback_week=history.payback_week,
        annotations=annotations,
    )


def waterfall(current: RoiSummary, window: Window) -> Any:
    from outcomes.app import roi_charts

    return roi_charts.waterfall_chart(
        roi_charts.waterfall_frame(waterfall_lines(current)),
        currency=current.currency,
        period_label=window.label,
    )


def tornado(table: pd.DataFrame, window: Window) -> Any:
    from outcomes.app import roi_charts

    return roi_charts.tornado_chart(roi_charts.tornado_frame(table), period_label=window.label)


def onepager(con: duckdb.DuckDBPyConnection, window: Window, notes: Sequence[str] = ()) -> Any:
    """The :class:`outcomes.app.exports.roi_onepager.OnePager` of a window (figures, charts, lines, notes)."""
    from outcomes.app.exports.roi_onepager import OnePager
    from outcomes.app.views.annotations import version_change_annotations

    cal = ledger_calendar(con)
    prior = previous_window(window, cal.anchor or window.start)
    current = summary(con, window.start, window.end)
    previous = summary(con, prior.start, prior.end)
    history = summary(con, None, window.end)
    figures = headline(current, previous, prior)
    # fixed sizes: an exported image has no container to stretch into
    charts: list[tuple[str, Any]] = [
        (
            "Cumulative value vs cumulative cost by week, payback marked",
            cumulative(history, window, version_change_annotations(con)).properties(
                width=820, height=220
            ),
        ),
        (
            "Waterfall from benefits through costs to net value",
            waterfall(current, window).properties(width=380, height=220),
        ),
    ]
    table = sensitivity_table(con, window.start, window.end)
    if len(table):
        charts.append(
            ("ROI range by assumption (tornado)", tornado(table, window).properties(width=260))
        )
    return OnePager(
        title="AI programme ROI",
        period=window.label,
        span=window.span,
        currency=current.currency,
        build_id=cal.build_id,
        as_of=f"{cal.as_of:%d %b %Y}" if cal.as_of else None,
        figures=[(f.label, f.text, f.delta, f.help) for f in figures],
        charts=charts,
        lines=[(r.line, r.category, r.amount) for r in line_table(current).itertuples()],
        notes=tuple(notes),
        comparison=f"changes against the {prior.label} ({prior.span})",
    )


def summary_html_bytes(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    label: str,
    start: dt.date,
    end: dt.date,
    notes: tuple[str, ...] = (),
) -> bytes:
    """The one-page summary of a window as self-contained HTML (UTF-8)."""
    from outcomes.app.exports.roi_onepager import summary_html

    return summary_html(onepager(con, Window(kind, label, start, end), notes)).encode("utf-8")


def summary_pdf_bytes(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    label: str,
    start: dt.date,
    end: dt.date,
    notes: tuple[str, ...] = (),
) -> bytes:
    """The one-page summary of a window as a one-page PDF."""
    from outcomes.app.exports.roi_onepager import summary_pdf

    return summary_pdf(onepager(con, Window(kind, label, start, end), notes))


def with_snapshot(settings: Any, func: Any, *args: Any) -> Any:
    """``func(connection, *args)`` on a connection of its own to the current snapshot, closed
    after: for downloads generated on click, outside the page's script run and its caches."""
    from outcomes.store import snapshot

    con = snapshot.open_snapshot(settings)
    try:
        return func(snapshot.snapshot_cursor(con), *args)
    finally:
        con.close()


# -- readers the page caches (ui.load) --------------------------------------------------------


def summary(
    con: duckdb.DuckDBPyConnection, start: dt.date | None, end: dt.date | None
) -> RoiSummary:
    """:func:`outcomes.roi.summary.summarise` of ``start..end`` (None = open)."""
    return roi_summary.summarise(catalog_safe(con), start, end)


def sensitivity_table(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> pd.DataFrame:
    """:func:`outcomes.roi.sensitivity.sensitivity` of the period (the tornado's data)."""
    from outcomes.roi.sensitivity import sensitivity

    return sensitivity(catalog_safe(con), None, start, end)


class _SnapshotConnection:
    """A connection whose ``cursor()`` keeps the caller's default catalog.

    ``outcomes.app.streamlit_glue`` hands out cursors on an in-memory DuckDB with the snapshot attached as
    ``warehouse``; a plain ``.cursor()`` of those starts on the in-memory catalog, where
    ``main.roi_ledger`` does not exist. The ROI modules query through ``con.cursor()``, so the
    page passes them this wrapper.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._catalog = con.execute("select current_database()").fetchall()[0][0]

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._con.cursor()
        cur.execute(f'use "{self._catalog}"')
        return cur

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def catalog_safe(con: Any) -> Any:
    """``con`` wrapped so that its cursors see the same default catalog (see above)."""
    return con if isinstance(con, _SnapshotConnection) else _SnapshotConnection(con)


# -- helpers ---------------------------------------------------------------------------------


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, args: Sequence[object] | None = None) -> list:
    return con.execute(sql, list(args or [])).fetchall()


def _frame(con: duckdb.DuckDBPyConnection, sql: str, args: Sequence[object]) -> pd.DataFrame:
    try:
        return con.execute(sql, list(args)).df()
    except duckdb.CatalogException:
        return pd.DataFrame()


def summary_json(figures: Sequence[Figure]) -> str:
    """The headline as JSON text (for the one-page summary's metadata and tests)."""
    return json.dumps(
        [{"key": f.key, "label": f.label, "text": f.text, "delta": f.delta} for f in figures]
    )
