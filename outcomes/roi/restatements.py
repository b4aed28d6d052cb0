"""Restatements: a closed ROI period compared with the current snapshot's ledger.

A later build whose ledger differs for a closed period (:mod:`outcomes.roi.close`) shows up
here as original vs restated amount per line and week, naming each input that changed
(assumption value or version, metric value, SQL hash...); a line whose amount is the same but
whose inputs or formula changed is listed as provenance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb

from outcomes.config import Settings
from outcomes.roi.close import closed_periods
from outcomes.roi.fetch import fetch_records
from outcomes.roi.ledger import LedgerInput, LedgerRow, amount_text, read_ledger
from outcomes.roi.totals import ledger_totals
from outcomes.store.state import StateStore


@dataclass(frozen=True)
class InputChange:
    """One input of a line that differs between the close and the current build."""

    name: str
    source_type: str | None
    source_ref: str | None
    change: str  # changed | added | removed
    fields: tuple[tuple[str, str | None, str | None], ...]  # (field, old, new)
    effective_from: str | None = None  # the closed version (assumptions)

    def describe(self) -> str:
        """E.g. ``assumption loaded_hourly_cost (effective_from 2026-01-01): value 62.50 -> 70.00``."""
        what = f"{self.source_type or 'input'} {self.source_ref or self.name}"
        if self.source_ref and self.source_ref != self.name:
            what += f" (as {self.name})"
        if self.effective_from and not any(f == "effective_from" for f, _, _ in self.fields):
            what += f" (effective_from {self.effective_from})"
        if self.change != "changed":
            return f"{what}: input {self.change}"
        parts = [f"{f} {old} -> {new}" for f, old, new in self.fields]
        return f"{what}: " + ", ".join(parts)


@dataclass(frozen=True)
class LineRestatement:
    """One line and week of a closed period whose amount, inputs or formula changed."""

    week_start: date
    line_id: str
    title: str
    category: str
    status: str  # changed | added | removed | provenance (same amount, inputs changed)
    original: Decimal | None
    restated: Decimal | None
    input_changes: tuple[InputChange, ...]
    formula_change: tuple[str, str] | None = None

    @property
    def difference(self) -> Decimal:
        return (self.restated or Decimal(0)) - (self.original or Decimal(0))

    def describe(self) -> str:
        head = f"{self.week_start} {self.line_id}: "
        if self.status == "added":
            head += f"added, restated {amount_text(self.restated or Decimal(0))}"
        elif self.status == "removed":
            head += f"removed, original {amount_text(self.original or Decimal(0))}"
        else:
            head += (
                f"original {amount_text(self.original or Decimal(0))} -> restated "
                f"{amount_text(self.restated or Decimal(0))} (difference {amount_text(self.difference)})"
            )
        notes = [c.describe() for c in self.input_changes]
        if self.formula_change:
            notes.append(f"formula {self.formula_change[0]!r} -> {self.formula_change[1]!r}")
        return head + ("; " + "; ".join(notes) if notes else "")


@dataclass(frozen=True)
class Restatement:
    """A closed period compared with the current snapshot's ledger."""

    period: str
    close_id: int
    closed_at: datetime
    closed_by: str
    closed_build_id: str
    current_build_id: str | None
    lines: tuple[LineRestatement, ...]  # amount changed, or line added / removed
    provenance: tuple[LineRestatement, ...]  # same amount, but an input or the formula changed
    original_totals: dict[str, str | None]
    restated_totals: dict[str, str | None]

    @property
    def restated(self) -> bool:
        return bool(self.lines)

    def changed_inputs(self) -> list[str]:
        """Distinct descriptions of the inputs that changed, e.g. for a one-line summary."""
        seen: dict[str, None] = {}
        for line in self.lines:
            for c in line.input_changes:
                seen.setdefault(c.describe(), None)
        return list(seen)

    def describe(self) -> str:
        if not self.restated and not self.provenance:
            return f"{self.period}: unchanged since close #{self.close_id} ({self.closed_build_id})"
        out = [
            f"{self.period}: closed #{self.close_id} by {self.closed_by} at "
            f"{self.closed_at:%Y-%m-%d %H:%M} UTC on build {self.closed_build_id}; current build "
            f"{self.current_build_id}",
            f"  net {self.original_totals['net']} -> {self.restated_totals['net']}",
        ]
        out += ["  RESTATED " + line.describe() for line in self.lines]
        out += ["  provenance " + line.describe() for line in self.provenance]
        return "\n".join(out)


def restatements(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    include_unchanged: bool = False,
    store: StateStore | None = None,
) -> list[Restatement]:
    """Every closed period whose current ledger differs from what was closed, oldest close first.

    ``include_unchanged`` also returns the closed periods that still match (``.restated`` and
    ``.provenance`` empty).
    """
    current_build = fetch_records(con, "select build_id from main.build_manifest limit 1")
    current_build_id = current_build[0]["build_id"] if current_build else None
    out: list[Restatement] = []
    for close in closed_periods(settings, store=store):
        now_rows = read_ledger(con, close.start, close.end)
        lines, provenance = compare_rows(close.rows, now_rows)
        if not (lines or provenance or include_unchanged):
            continue
        out.append(
            Restatement(
                period=close.period,
                close_id=close.id,
                closed_at=close.closed_at,
                closed_by=close.closed_by,
                closed_build_id=close.build_id,
                current_build_id=current_build_id,
                lines=tuple(lines),
                provenance=tuple(provenance),
                original_totals=close.totals,
                restated_totals=ledger_totals(now_rows).as_dict(),
            )
        )
    return out


def compare_rows(
    original: Iterable[LedgerRow], current: Iterable[LedgerRow]
) -> tuple[list[LineRestatement], list[LineRestatement]]:
    """(lines whose amount changed or that were added / removed, lines with changed inputs only)."""
    before = {r.key: r for r in original}
    after = {r.key: r for r in current}
    lines: list[LineRestatement] = []
    provenance: list[LineRestatement] = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        ref = new or old
        assert ref is not None
        changes = diff_inputs(old.inputs if old else (), new.inputs if new else ())
        formula = (old.formula, new.formula) if old and new and old.formula != new.formula else None
        if old is None or new is None:
            status = "added" if old is None else "removed"
        elif old.amount != new.amount:
            status = "changed"
        elif changes or formula:
            status = "provenance"
        else:
            continue
        item = LineRestatement(
            week_start=ref.week_start,
            line_id=ref.line_id,
            title=ref.title,
            category=ref.category,
            status=status,
            original=old.amount if old else None,
            restated=new.amount if new else None,
            input_changes=tuple(changes) if old and new else (),
            formula_change=formula,
        )
        (provenance if status == "provenance" else lines).append(item)
    return lines, provenance


def diff_inputs(old: Sequence[LedgerInput], new: Sequence[LedgerInput]) -> list[InputChange]:
    """Inputs (matched by name) whose value, version, SQL hash, unit, source or owner differ."""
    before = {i.name: i for i in old}
    after = {i.name: i for i in new}
    changes: list[InputChange] = []
    for name in [*before, *(n for n in after if n not in before)]:
        a, b = before.get(name), after.get(name)
        ref = b or a
        assert ref is not None
        if a is None or b is None:
            changes.append(
                InputChange(
                    name, ref.source_type, ref.source_ref, "added" if a is None else "removed", ()
                )
            )
            continue
        fields = []
        # The version first, so "effective_from X -> Y, value 62.50 -> 70.00" reads naturally.
        for f in (
            "source_type",
            "source_ref",
            "effective_from",
            "value",
            "unit",
            "sql_sha256",
            "owner",
        ):
            x, y = getattr(a, f), getattr(b, f)
            if f == "value" and x is not None and y is not None and Decimal(x) == Decimal(y):
                continue
            if x != y:
                fields.append((f, x, y))
        if fields:
            changes.append(
                InputChange(
                    name, b.source_type, b.source_ref, "changed", tuple(fields), a.effective_from
                )
            )
    return changes
