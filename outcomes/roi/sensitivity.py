"""Sensitivity of ROI to the assumptions: low / base / high per assumption, and the ROI range.

No rebuild: every ledger row of the period whose inputs use an assumption is recomputed with
the row's own formula (:class:`outcomes.core.formula.Formula`, exact Decimal, rounded to the ledger's
10 places like the build) with that assumption at the low or the high end of the range of the
version the row used (each version has its own range in the register); rows that do not use it
keep their ledger amount. ROI = (benefits - costs) / costs of the period, as in
:mod:`outcomes.roi.summary`.

- :func:`sensitivity`: one row per assumption used by the period's ledger and with a range:
  ``assumption, unit, base, low, high`` (values as text, several versions joined by ' / '),
  ``low_roi, base_roi, high_roi`` (ROI with the assumption at its low end, as built, at its high
  end), ``low_net, base_net, high_net``, ``swing = |high_roi - low_roi|``; sorted by swing,
  largest first: the data of a tornado chart. Assumptions without a range are left out.
- :func:`roi_range`: every assumption at the end that lowers ROI, then every one at the end
  that raises it (each assumption enters one line linearly, so these are the extremes).

Known limit: the rows are the built ones. An assumption that changes which weeks a line has
(build_amortisation_months sets the length of the amortisation period) is recomputed for the
weeks the ledger has, not for weeks a shorter or longer period would add or drop.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import duckdb
import pandas as pd

from outcomes.config import Settings
from outcomes.core.formula import Formula
from outcomes.roi.fetch import fetch_rows
from outcomes.roi.ledger import (
    LedgerInput,
    LedgerRow,
    decimal_text,
    quantize_amount,
    read_ledger,
)
from outcomes.roi.totals import ratio

COLUMNS = (
    "assumption",
    "unit",
    "base",
    "low",
    "high",
    "low_roi",
    "base_roi",
    "high_roi",
    "low_net",
    "base_net",
    "high_net",
    "swing",
)


@dataclass(frozen=True)
class RoiRange:
    """The ROI with every assumption at the low end, and at the high end, of its range."""

    low_roi: Decimal | None
    base_roi: Decimal | None
    high_roi: Decimal | None
    low_net: Decimal
    base_net: Decimal
    high_net: Decimal
    low_ends: dict[str, str]  # assumption -> 'low' | 'high': the end that gives low_roi
    high_ends: dict[str, str]


def sensitivity(
    con: duckdb.DuckDBPyConnection,
    settings: Settings | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    system: str | None = None,
) -> pd.DataFrame:
    """The tornado table of the period ``start..end`` (inclusive, on week_start), of one AI
    ``system`` or of the company (None: every system's rows). An assumption is moved to the
    same end of the range of each version the rows used (a system's own or the company-wide).

    ``settings`` is accepted for symmetry with the other ROI calls; the ranges are the ones in
    the snapshot's register (``staging.assumptions``), i.e. the versions the ledger used.
    """
    del settings  # the snapshot is the single source of the ranges the rows used
    rows = read_ledger(con, start, end, system=system)
    ranges = _ranges(con)
    base_benefits, base_costs = _totals(rows, {})
    base_net = base_benefits - base_costs
    base_roi = ratio(base_net, base_costs)
    out: list[dict[str, Any]] = []  # rows of an object-dtype frame
    for key in _used_keys(rows):
        versions = _versions_used(rows, key)
        spans = [ranges.get((key, *v)) for v in versions]
        if not any(s and (s[1] is not None or s[2] is not None) for s in spans):
            continue
        results = {}
        for end_name in ("low", "high"):
            b, c = _totals(rows, {key: end_name}, ranges)
            results[end_name] = (b - c, ratio(b - c, c))
        unit = next((s[0] for s in spans if s and s[0]), None)
        low_roi, high_roi = results["low"][1], results["high"][1]
        swing = abs(high_roi - low_roi) if low_roi is not None and high_roi is not None else None
        out.append(
            {
                "assumption": key,
                "unit": unit,
                "base": _join(versions, rows, key),
                "low": " / ".join(_end_text(s, 1) for s in spans),
                "high": " / ".join(_end_text(s, 2) for s in spans),
                "low_roi": low_roi,
                "base_roi": base_roi,
                "high_roi": high_roi,
                "low_net": results["low"][0],
                "base_net": base_net,
                "high_net": results["high"][0],
                "swing": swing,
            }
        )
    out.sort(
        key=lambda r: (-(r["swing"] if r["swing"] is not None else Decimal(-1)), r["assumption"])
    )
    return pd.DataFrame(out, columns=list(COLUMNS), dtype=object)


def roi_range(
    con: duckdb.DuckDBPyConnection,
    settings: Settings | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    system: str | None = None,
) -> RoiRange:
    """ROI with every ranged assumption at its ROI-lowering end, as built, and at its raising
    end (of one AI ``system``, or of the company when None)."""
    table = sensitivity(con, settings, start, end, system)
    rows = read_ledger(con, start, end, system=system)
    ranges = _ranges(con)
    low_ends: dict[str, str] = {}
    high_ends: dict[str, str] = {}
    for r in table.to_dict("records"):
        lo, hi = r["low_roi"], r["high_roi"]
        if lo is None or hi is None:
            continue
        low_ends[r["assumption"]] = "low" if lo <= hi else "high"
        high_ends[r["assumption"]] = "high" if lo <= hi else "low"
    figures = {}
    for name, ends in (("low", low_ends), ("base", {}), ("high", high_ends)):
        b, c = _totals(rows, ends, ranges)
        figures[name] = (b - c, ratio(b - c, c))
    return RoiRange(
        low_roi=figures["low"][1],
        base_roi=figures["base"][1],
        high_roi=figures["high"][1],
        low_net=figures["low"][0],
        base_net=figures["base"][0],
        high_net=figures["high"][0],
        low_ends=low_ends,
        high_ends=high_ends,
    )


def render(table: pd.DataFrame, span: RoiRange | None = None) -> str:
    """The tornado table as text (``outcomes roi sensitivity``)."""

    def pct(value: Decimal | None) -> str:
        return "n/a" if value is None else f"{value * 100:.1f}%"

    lines = [
        f"{'assumption':<28} {'low':>14} {'high':>14} {'ROI low':>9} {'ROI base':>9} {'ROI high':>9} {'swing':>8}"
    ]
    for r in table.to_dict("records"):
        lines.append(
            f"{r['assumption']:<28} {r['low']:>14} {r['high']:>14} {pct(r['low_roi']):>9} "
            f"{pct(r['base_roi']):>9} {pct(r['high_roi']):>9} {pct(r['swing']):>8}"
        )
    if span is not None:
        lines.append(
            f"ROI range: {pct(span.low_roi)} .. {pct(span.high_roi)} (base {pct(span.base_roi)})"
        )
    return "\n".join(lines)


# -- recomputation ---------------------------------------------------------------------------


_Range = tuple[str | None, Decimal | None, Decimal | None]  # unit, low, high
_RangeKey = tuple[str, str, str]  # key, system ('' = company-wide), effective_from


def _version(i: LedgerInput) -> tuple[str, str]:
    """The version an assumption input used: (its system, '' = company-wide; effective_from)."""
    return (i.assumption_system or "", i.effective_from or "")


def _ranges(con: duckdb.DuckDBPyConnection) -> dict[_RangeKey, _Range]:
    found = fetch_rows(
        con,
        "select key, coalesce(system, ''), effective_from::varchar, unit, low::varchar, "
        "high::varchar from staging.assumptions",
    )
    return {
        (key, system, eff): (
            unit,
            None if low is None else Decimal(low),
            None if high is None else Decimal(high),
        )
        for key, system, eff, unit, low, high in found
    }


def _amount(
    entry: LedgerRow,
    ends: Mapping[str, str],
    ranges: Mapping[_RangeKey, _Range],
) -> Decimal:
    """The row's amount with the assumptions in ``ends`` at that end of their version's range."""
    values = entry.input_values()
    changed = False
    for i in entry.inputs:
        if i.source_type != "assumption" or i.source_ref not in ends:
            continue
        assert i.source_ref is not None  # a key of ends
        span = ranges.get((i.source_ref, *_version(i)))
        bound = None
        if span is not None:
            bound = span[1] if ends[i.source_ref] == "low" else span[2]
        if bound is not None:
            values[i.name] = bound
            changed = True
    if not changed:
        return entry.amount
    return quantize_amount(_formula(entry.formula).evaluate(values))


@functools.lru_cache(maxsize=256)
def _formula(text: str) -> Formula:
    return Formula.parse(text)


def _totals(
    rows: Sequence[LedgerRow],
    ends: Mapping[str, str],
    ranges: Mapping[_RangeKey, _Range] | None = None,
) -> tuple[Decimal, Decimal]:
    benefits = costs = Decimal(0)
    for e in rows:
        amount = _amount(e, ends, ranges or {}) if ends else e.amount
        if e.category == "benefit":
            benefits += amount
        else:
            costs += amount
    return benefits, costs


def _used_keys(rows: Sequence[LedgerRow]) -> list[str]:
    # the build writes every assumption input with its key (InputSpec.ref), never None
    keys = {i.source_ref for e in rows for i in e.inputs if i.source_type == "assumption"}
    return sorted(cast("set[str]", keys))


def _versions_used(rows: Sequence[LedgerRow], key: str) -> list[tuple[str, str]]:
    return sorted(
        {
            _version(i)
            for e in rows
            for i in e.inputs
            if i.source_type == "assumption" and i.source_ref == key
        }
    )


def _join(versions: Sequence[tuple[str, str]], rows: Sequence[LedgerRow], key: str) -> str:
    values = {}
    for e in rows:
        for i in e.inputs:
            if i.source_type == "assumption" and i.source_ref == key:
                values[_version(i)] = decimal_text(i.decimal)
    return " / ".join(values[v] for v in versions)


def _end_text(span: _Range | None, index: int) -> str:
    if span is None or span[index] is None:
        return "-"
    return decimal_text(span[index])  # type: ignore[arg-type]
