"""Money and ratios as text for display: rounded half up, thousands separated, signed.

Amounts stay :class:`~decimal.Decimal` until they are shown; these functions are the only place
they are rounded for a reader (the ledger keeps its exact decimals). No I/O.

>>> money(Decimal("-1234567.5"), "USD"), money(Decimal("1234.565"), "EUR", cents=True)
('-$1,234,568', '€1,234.57')
>>> money(Decimal("1000"), "CHF"), money(None, "USD")
('1,000 CHF', '–')
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
CENT = Decimal("0.01")
UNIT = Decimal("1")
MINUS = "-"  # ASCII: st.metric reads a leading "-" as a fall


def money(amount: Decimal | None, currency: str, *, cents: bool = False) -> str:
    """An amount for display: rounded half up (to whole units, or to ``cents``), thousands
    separated, with the currency's symbol in front or its code behind.

    >>> money(Decimal("1234.5"), "USD"), money(Decimal("0.005"), "USD", cents=True)
    ('$1,235', '$0.01')
    >>> money(Decimal("-2.5"), "GBP")
    '-£3'
    """
    if amount is None:
        return "–"
    q = Decimal(amount).quantize(CENT if cents else UNIT, rounding=ROUND_HALF_UP)
    sign = MINUS if q < 0 else ""
    body = f"{abs(q):,}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def signed_money(amount: Decimal | None, currency: str, *, cents: bool = False) -> str:
    """A change in money with its sign (``+$1,200`` / ``-$300``).

    >>> signed_money(Decimal("1200.4"), "USD"), signed_money(Decimal("-3"), "USD")
    ('+$1,200', '-$3')
    """
    if amount is None:
        return "–"
    text = money(amount, currency, cents=cents)
    return text if text.startswith(MINUS) else f"+{text}"


def percent(ratio: Decimal | None, places: int = 1) -> str:
    """A ratio as a percentage (``Decimal('15.1231')`` -> ``1,512.3%``).

    >>> percent(Decimal("15.1231")), percent(Decimal("0.05"), 0), percent(None)
    ('1,512.3%', '5%', '–')
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
