"""Metric values as text, from the metric header's unit: the one place the app, its exports
and the digest format a figure, so a value reads the same everywhere.

Precision follows the value, not a fixed number of decimals: a fraction of a cent keeps
two significant digits instead of rounding to $0.00, a tiny share keeps its digits, and a
value is never shown as a signed zero. Durations carry their unit (ms, h, min).

>>> format_value(0.0034, "usd"), format_value(1234.5, "usd"), format_value(-0.0004, "usd")
('$0.0034', '$1,234.50', '−$0.0004')
>>> format_value(0.8734, "ratio"), format_value(0.00042, "ratio"), format_value(None, "ms")
('87.3%', '0.042%', '–')
>>> format_value(231.4, "ms"), format_value(2.26, "hours"), format_value(12.0, "minutes")
('231 ms', '2.3 h', '12.0 min')
>>> format_p_value(0.00001), format_p_value(0.0312), format_p_value(None)
('< 0.001', '0.031', '–')
"""

from __future__ import annotations

import math
from typing import Any

MINUS = "−"  # U+2212: a minus sign that lines up with the plus
NONE = "–"
# What follows a number of each unit (ratio, usd and score carry their own signs).
UNIT_SUFFIX = {
    "ms": " ms",
    "hours": " h",
    "minutes": " min",
    "tokens": " tokens",
    "count": "",
    "score": "",
}
UNIT_WORDS = {
    "ratio": "share (%)",
    "usd": "US dollars",
    "count": "count",
    "hours": "hours",
    "minutes": "minutes",
    "ms": "milliseconds",
    "score": "score",
    "tokens": "tokens",
}


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _significant(v: float, digits: int = 2) -> str:
    """``v`` (0 < v < 1) with ``digits`` significant digits, trailing zeros kept off; in
    scientific notation below 0.0001 (a p-value of 8e-33 is not thirty zeros).

    >>> _significant(0.003449), _significant(0.0004), _significant(8.3e-33)
    ('0.0034', '0.0004', '8.3e-33')
    """
    if v < 1e-4:
        return f"{v:.{digits - 1}e}".replace("e-0", "e-")
    decimals = max(0, digits - 1 - math.floor(math.log10(v)))
    return f"{v:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{v:.0f}"


def format_value(value: Any, unit: str | None, *, signed: bool = False) -> str:
    """A metric value as text, by its header ``unit``; ``signed`` puts + or − in front."""
    v = _number(value)
    if v is None:
        return NONE
    a = abs(v)
    if unit == "ratio":
        body = f"{a:.1%}" if a == 0 or a >= 0.001 else f"{_significant(a * 100)}%"
    elif unit == "usd":
        body = "$" + (f"{a:,.2f}" if a == 0 or a >= 0.01 else _significant(a))
    elif unit in ("count", "tokens", "ms"):
        body = f"{a:,.0f}" if a >= 1 or a == 0 else _significant(a)
    elif unit in ("hours", "minutes"):
        body = f"{a:,.1f}" if a >= 0.1 or a == 0 else _significant(a)
    elif unit == "score":
        body = f"{a:.3f}" if a >= 0.001 or a == 0 else _significant(a)
    else:
        body = f"{a:,.4g}"
    body += UNIT_SUFFIX.get(unit or "", "")
    rounded_zero = body.strip("$%").split(" ")[0].strip("0.,") == ""
    if v < 0 and not rounded_zero:
        return MINUS + body
    if signed and v > 0:
        return "+" + body
    if signed and v == 0:
        return "±" + body
    return body


def format_change(change: Any, unit: str | None) -> str:
    """A week-over-week change: percentage points for a ratio, else signed in the unit.

    >>> format_change(0.0123, "ratio"), format_change(-3.0, "count"), format_change(None, "ms")
    ('+1.2 pp', '−3', '–')
    >>> format_change(-0.0004, "usd"), format_change(0, "hours")
    ('−$0.0004', '±0.0 h')
    """
    v = _number(change)
    if v is None:
        return NONE
    if unit == "ratio":
        sign = "+" if v > 0 else (MINUS if v < 0 else "±")
        return f"{sign}{abs(v) * 100:.1f} pp"
    return format_value(v, unit, signed=True)


def format_percent_change(change_pct: Any) -> str:
    """A relative change as signed percent.

    >>> format_percent_change(0.253), format_percent_change(-0.004), format_percent_change(None)
    ('+25%', '−0.4%', '–')
    """
    v = _number(change_pct)
    if v is None:
        return NONE
    sign = "+" if v > 0 else (MINUS if v < 0 else "±")
    a = abs(v) * 100
    return f"{sign}{a:,.0f}%" if a >= 10 else f"{sign}{a:.1f}%"


def format_p_value(p: Any) -> str:
    """A test's p-value: two significant digits, ``< 0.001`` below that."""
    v = _number(p)
    if v is None:
        return NONE
    return "< 0.001" if v < 0.001 else f"{v:.2g}"


def unit_words(unit: str | None) -> str:
    """The unit as a reader names it, for column headers and exports.

    >>> unit_words("ms"), unit_words(None)
    ('milliseconds', '')
    """
    return UNIT_WORDS.get(unit or "", unit or "")
