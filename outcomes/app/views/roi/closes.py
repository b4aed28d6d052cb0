"""Closed periods and restatements beside the ROI page's figures.

A window shows a note for every closed period it overlaps (who closed it, when, from which
build) and, when a later build changed the ledger of a closed period, the figures as they were
closed beside the restated ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import duckdb

from outcomes.app.markup import md_text
from outcomes.app.views.roi.headline import Figure
from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.app.views.roi.windows import Window
from outcomes.config import Settings
from outcomes.core.authz import Action, Identity, authorise
from outcomes.core.money import money, percent
from outcomes.errors import OutcomesError
from outcomes.roi import close as period_close
from outcomes.roi import restatements as roi_restatements
from outcomes.roi.summary import RoiSummary
from outcomes.roi.totals import ratio
from outcomes.store.state import StateStore


def closed_periods(settings: Settings, store: StateStore) -> list[Any]:
    """The periods closed so far (:func:`outcomes.roi.close.closed_periods`), oldest first."""
    return period_close.closed_periods(settings, store=store)


def close_window(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    store: StateStore,
    period: str,
    who: Identity | None,
    provisional: bool = False,
) -> tuple[str, str]:
    """Close ``period`` (``2026-Q1``, ``2026-03``) as ``who``, authorised here (admins only):
    ``("success", text)``, or ``("error", why)`` when the role may not or the close is refused
    (a period not final is refused unless ``provisional``)."""
    try:
        actor = authorise(who, Action.close_period).subject
        record = period_close.close_period(
            catalog_safe(con), settings, period, actor, store=store, provisional=provisional
        )
    except OutcomesError as exc:  # NotAllowed, CloseError, a state store refusal
        return "error", f"{period} was not closed: {exc}"
    return (
        "success",
        f"{record.period}{record.marker} closed by {md_text(record.closed_by)} (build {record.build_id}).",
    )


def window_notes(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    store: StateStore,
    window: Window,
    closes: Iterable[Any],
) -> list[CloseNote]:
    """:func:`close_notes` of ``window`` with the restatements of the current snapshot."""
    restated = roi_restatements.restatements(catalog_safe(con), settings, store=store)
    return close_notes(window, closes, restated)


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
    provisional: bool = False  # an explicit provisional close (partial weeks, few labels)

    def describe(self, currency: str) -> str:
        marker = " PROVISIONALLY" if self.provisional else ""
        head = f"{self.period} closed{marker} by {md_text(self.closed_by)} on {self.closed_at:%d %b %Y} (build {self.build_id})"
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
    """Closed periods (:func:`closed_periods`) that overlap ``window``, each with its
    restatement (``outcomes.roi.restatements.restatements``) when the current ledger differs."""
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
                provisional=bool(getattr(c, "provisional", False)),
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
    return {"net": benefits - costs, "roi": ratio(benefits - costs, costs)}


def with_originals(
    figures: list[Figure], original: dict[str, Decimal | None] | None, currency: str
) -> list[Figure]:
    """Put the closed (original) net value and ROI beside the restated ones."""
    if not original:
        return figures
    out = []
    for f in figures:
        if f.key == "net_period":
            f = replace(f, original=money(original["net"], currency))
        elif f.key == "roi":
            f = replace(f, original=percent(original["roi"]))
        out.append(f)
    return out


def _dec(text: Any) -> Decimal:
    return Decimal(str(text)) if text not in (None, "") else Decimal(0)
