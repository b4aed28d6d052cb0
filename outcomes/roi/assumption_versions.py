"""One version of one ROI assumption, and what every origin of the register shares.

A version is a row of the merged register (:mod:`outcomes.roi.assumptions`): a key, the day
it takes effect, a decimal value with its unit, owner and low / high range, and where it came
from (``ingest``, the register ``file`` or a ``cli`` change).

>>> decimal_fit_problem(Decimal("1.2345678"), 18, 6)
'1.2345678 has 7 decimal places, the register keeps 6; fix: round it to 6 places'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from outcomes.errors import OutcomesError

FILE_LOAD_PREFIX = "register-file-"
CLI_LOAD_PREFIX = "register-cli-"
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class AssumptionsError(OutcomesError, ValueError):
    """The register file is invalid, or a change was refused; ``problems`` lists each one."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Version:
    """One version of one assumption (a row of the merged register)."""

    key: str
    effective_from: dt.date
    value: Decimal
    unit: str | None
    owner: str | None
    source: str | None
    note: str | None
    low: Decimal | None
    high: Decimal | None
    origin: str  # ingest | file | cli
    load_id: str
    changed_by: str | None = None
    changed_at: dt.datetime | None = None
    why: str | None = None
    old_value: Decimal | None = None
    source_file: str | None = None
    line: int | None = None
    system: str | None = None  # the AI system it is for; None: the company-wide default


def in_force(versions: Sequence[Version], day: dt.date) -> Version | None:
    """The version with the greatest effective_from <= day (versions sorted by date)."""
    found = None
    for v in versions:
        if v.effective_from <= day:
            found = v
    return found


def decimal_fit_problem(number: Decimal, precision: int, scale: int) -> str | None:
    """A problem text when ``number`` does not fit DECIMAL(precision, scale) exactly."""
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > scale:
        return (
            f"{number} has {places} decimal places, the register keeps {scale}; "
            f"fix: round it to {scale} places"
        )
    whole = len(str(abs(number).to_integral_value(rounding="ROUND_DOWN")).lstrip("0"))
    if whole > precision - scale:
        return f"{number} is too large (more than {precision - scale} digits before the point)"
    return None
