"""Values into and out of the state store: checked arguments in, typed values out.

Every write checks its arguments before it opens the file (a bad one raises
:class:`~outcomes.store.state_file.StateValidationError`). Money is decimal TEXT (``Decimal``
in Python, never float); timestamps are ISO 8601 UTC text.

>>> required_text("  ana ", "author")
'ana'
>>> decimal_value("61.50", "new_value")
Decimal('61.50')
>>> parse_timestamp("2024-03-04T09:30:00.000000Z")
datetime.datetime(2024, 3, 4, 9, 30, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from outcomes.store.state_file import TIMESTAMP_FORMAT, StateValidationError

_E = TypeVar("_E", bound=StrEnum)


def required_text(value: object, name: str) -> str:
    """``value`` stripped; it must be a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise StateValidationError(f"{name} must be a non-empty string, got {value!r}")
    return value.strip()


def stripped_text(value: object, name: str) -> str:
    """``value`` stripped; it must be a string (it may be empty)."""
    if not isinstance(value, str):
        raise StateValidationError(f"{name} must be a string, got {type(value).__name__}")
    return value.strip()


def week_date(value: object, name: str) -> date:
    """``value`` itself; it must be a date, not a datetime."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise StateValidationError(f"{name} must be a date (not a datetime), got {value!r}")
    return value


def enum_member(enum: type[_E], value: object, name: str) -> _E:
    """The member of ``enum`` named by the string ``value``."""
    allowed = ", ".join(m.value for m in enum)
    if not isinstance(value, str):
        raise StateValidationError(f"{name} must be one of: {allowed}; got {value!r}")
    try:
        return enum(value)
    except ValueError:
        raise StateValidationError(
            f"unknown {name} {value!r}; expected one of: {allowed}"
        ) from None


@dataclass(frozen=True)
class DecimalWords:
    """How a caller words the three ways a value is not an exact decimal (``str.format``
    templates over ``name``, ``type`` and ``value``)."""

    never: str  # a float or a bool
    not_number: str
    not_finite: str


STATE_DECIMAL_WORDS = DecimalWords(
    never="{name} must be a Decimal, int or decimal string, never a {type}",
    not_number="{name} is not a decimal number: {value!r}",
    not_finite="{name} must be finite, got {value!r}",
)


def exact_decimal(
    value: object, name: str, words: DecimalWords, error: Callable[[str], Exception]
) -> Decimal:
    """``value`` as a finite Decimal; a float (or bool) is refused, never rounded. A refusal
    raises ``error(text)``, the text worded by ``words``."""
    if isinstance(value, float | bool):
        raise error(words.never.format(name=name, type=type(value).__name__))
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise error(words.not_number.format(name=name, value=value)) from None
    if not number.is_finite():
        raise error(words.not_finite.format(name=name, value=value))
    return number


def decimal_value(value: object, name: str) -> Decimal:
    """``value`` as a finite Decimal; a float (or bool) is refused, never rounded."""
    return exact_decimal(value, name, STATE_DECIMAL_WORDS, StateValidationError)


def float_or_none(value: object) -> float | None:
    """``value`` as a float; None for None and NaN."""
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if number != number else number


def week_range(column: str, start: date | None, end: date | None) -> tuple[list[str], list[object]]:
    """WHERE terms and arguments for ``start <= column <= end`` (either bound may be None)."""
    where: list[str] = []
    args: list[object] = []
    if start is not None:
        where.append(f"{column} >= ?")
        args.append(week_date(start, "start").isoformat())
    if end is not None:
        where.append(f"{column} <= ?")
        args.append(week_date(end, "end").isoformat())
    return where, args


def parse_date(text: str) -> date:
    """A stored ``YYYY-MM-DD``."""
    return date.fromisoformat(text)


def parse_timestamp(text: str) -> datetime:
    """A stored timestamp, as an aware UTC datetime."""
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
