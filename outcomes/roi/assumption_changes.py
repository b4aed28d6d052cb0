"""Changes to the assumptions register made with ``outcomes assumptions set``, and their history.

A change is appended to the state store with who, when, old value, new value and why; the
build merges it into the register (:mod:`outcomes.roi.assumptions`), where the latest change
of a ``(key, effective_from)`` beats the register file.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from outcomes.config import Settings
from outcomes.roi.assumption_versions import (
    KEY_PATTERN,
    AssumptionsError,
    decimal_fit_problem,
    in_force,
)
from outcomes.roi.assumptions import merged_versions, recorded_changes, text_table
from outcomes.roi.ledger import decimal_text
from outcomes.store.state import StateStore
from outcomes.store.state_assumptions import AssumptionChange
from outcomes.store.state_file import StateValidationError
from outcomes.store.state_values import DecimalWords, exact_decimal

HISTORY_COLUMNS = (
    "id",
    "key",
    "effective_from",
    "old_value",
    "new_value",
    "unit",
    "changed_by",
    "changed_at",
    "why",
    "system",
)


def set_assumption(
    settings: Settings,
    key: str,
    value: Decimal | int | str,
    why: str,
    author: str,
    effective_from: dt.date | None = None,
    unit: str | None = None,
    system: str | None = None,
) -> AssumptionChange:
    """Record a new value of ``key`` from ``effective_from`` (default: today, UTC), for one AI
    ``system`` (None: the company-wide value every system without its own reads).

    A system's change follows the system's own version in force, else the company-wide one
    (its range bounds the value; its unit is the unit).

    The key must exist in the register, or ``unit`` must be given (a new assumption). The value
    is a decimal (never a float) that must lie within the low / high range of the version it
    replaces or follows; a range is changed in the register file, not here. Appends one row to
    the state store (who, when, old value, new value, why); returns it.
    """
    problems: list[str] = []
    key = str(key).strip()
    if not KEY_PATTERN.match(key):
        raise AssumptionsError(
            [
                f"assumption key {key!r} is not a lowercase name (a-z, 0-9, _); fix: e.g. loaded_hourly_cost"
            ]
        )
    number = _parse_decimal_arg(value, "value")
    if not why or not str(why).strip():
        problems.append("--why is required: say why the value changes (it is kept with the change)")
    if not author or not str(author).strip():
        problems.append("author is required (set OUTCOMES_USER or log in as a named user)")
    effective = effective_from or dt.datetime.now(dt.UTC).date()
    if isinstance(effective, dt.datetime) or not isinstance(effective, dt.date):
        problems.append(f"effective_from must be a date (YYYY-MM-DD), got {effective_from!r}")
    if problems:
        raise AssumptionsError(problems)
    system = None if system is None or not str(system).strip() else str(system).strip()
    every = [v for v in merged_versions(settings) if v.key == key]
    versions = sorted((v for v in every if v.system == system), key=lambda v: v.effective_from)
    company = sorted((v for v in every if v.system is None), key=lambda v: v.effective_from)
    if not every and not unit:
        known = sorted({v.key for v in merged_versions(settings)})
        raise AssumptionsError(
            [
                f"unknown assumption {key!r}; known keys: {', '.join(known) or 'none'}; "
                "fix: check the spelling, or give --unit to add a new assumption"
            ]
        )
    current = next((v for v in versions if v.effective_from == effective), None)
    prior = in_force(versions, effective) or (
        in_force(company, effective) if system is not None else None
    )
    template = current or prior or next(iter(versions or company or every), None)
    if template is not None and unit and template.unit and unit.strip() != template.unit:
        raise AssumptionsError(
            [
                f"{key} is in {template.unit}, not {unit.strip()}; fix: give the value in "
                f"{template.unit} (leave out --unit), or add a new key for the other unit"
            ]
        )
    final_unit = (unit or "").strip() or (template.unit if template else None) or ""
    if template is not None:
        low, high = template.low, template.high
        span = f"[{decimal_text(low) if low is not None else '-inf'}, {decimal_text(high) if high is not None else 'inf'}]"
        where = f"{key} (version effective {template.effective_from.isoformat()})"
        if low is not None and number < low:
            problems.append(
                f"value {decimal_text(number)} is below the low end of the range {span} of {where}; "
                "fix: check the value, or widen the range in the register file first"
            )
        if high is not None and number > high:
            problems.append(
                f"value {decimal_text(number)} is above the high end of the range {span} of {where}; "
                "fix: check the value, or widen the range in the register file first"
            )
    if current is not None and current.value == number:
        problems.append(
            f"{key} is already {decimal_text(number)} from {effective.isoformat()}: nothing to change"
        )
    if problems:
        raise AssumptionsError(problems)
    old = current.value if current is not None else (prior.value if prior is not None else None)
    store = StateStore(settings.state_path)
    try:
        new_id = store.record_assumption_change(
            key,
            effective,
            old,
            number,
            final_unit,
            str(author).strip(),
            str(why).strip(),
            system=system,
        )
    except StateValidationError as exc:
        raise AssumptionsError([str(exc)]) from exc
    return next(c for c in store.assumption_changes(key) if c.id == new_id)


def history(settings: Settings, key: str | None = None) -> pd.DataFrame:
    """Every change made with ``outcomes assumptions set`` (of one key), oldest first.

    Columns: ``HISTORY_COLUMNS`` (who = ``changed_by``, when = ``changed_at`` UTC). File edits
    are versioned by git, not here.
    """
    changes = recorded_changes(settings)
    rows = [
        (
            c.id,
            c.key,
            c.effective_from,
            c.old_value,
            c.new_value,
            c.unit,
            c.author,
            c.created_at,
            c.why,
            c.system,
        )
        for c in changes
        if key is None or c.key == key
    ]
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))


def render_history(frame: pd.DataFrame) -> str:
    """The change history as an aligned text table (``outcomes assumptions history``)."""
    return text_table(frame, list(HISTORY_COLUMNS))


_DECIMAL_WORDS = DecimalWords(
    never="{name} must be a decimal (Decimal, int or text such as '62.50'), never a {type}",
    not_number="{name} {value!r} is not a number; fix: e.g. 62.50",
    not_finite="{name} {value!r} is not a finite number",
)


def _parse_decimal_arg(value: object, name: str) -> Decimal:
    number = exact_decimal(value, name, _DECIMAL_WORDS, lambda text: AssumptionsError([text]))
    problem = decimal_fit_problem(number, 18, 6)
    if problem:
        raise AssumptionsError([f"{name}: {problem}"])
    return number
