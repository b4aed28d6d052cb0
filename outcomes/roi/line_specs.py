"""A ROI line as its header declares it: category, formula and every input's source.

Each ``sql/roi/<line_id>.sql`` declares in its header a ``category`` (benefit / cost), a
``formula`` (:mod:`outcomes.core.formula`) and its ``inputs``, each mapped to a source::

    inputs:
      hours_saved: {metric: hours_saved}            # metrics.<name>, the system's row
      loaded_hourly_cost: {assumption: loaded_hourly_cost}  # staging.assumptions, in force
      infrastructure_cost: {cost_rows: infrastructure}      # staging.cost_allocations
      event_cost_usd: {events: cost_usd}            # sum of a staging.ai_events column

A line returns one row per week and AI system (columns ``week_start``, ``system``).

>>> InputSpec.parse("hours_saved", {"metric": "hours_saved"}).source_ref
'metrics.hours_saved'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from outcomes.core.definition import SqlDefinition
from outcomes.core.formula import Formula, FormulaError
from outcomes.core.headers import RoiHeader
from outcomes.core.registry import Registry
from outcomes.roi.ledger import LedgerError

SOURCE_TYPES = ("metric", "assumption", "cost_rows", "events")
# Where the SQL of each source type lives (the file trace shows for an input).
SOURCE_OBJECT = {
    "assumption": "staging.assumptions",
    "cost_rows": "staging.cost_allocations",
    "events": "staging.ai_events",
}
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class InputSpec:
    """One ``inputs:`` entry of a ROI line header.

    ``{metric: hours_saved}`` (the metric's value), ``{metric: hours_saved.actual_minutes}``
    (an extra column of it), ``{assumption: key}``, ``{cost_rows: category}``,
    ``{events: column}`` (its weekly sum); an optional ``unit: ...`` names the unit where the
    source has none (metric extra columns).
    """

    name: str
    source_type: str  # metric | assumption | cost_rows | events
    ref: str  # metric name[.column] | assumption key | cost category | ai_events column
    unit: str | None = None

    @classmethod
    def parse(cls, name: str, spec: Any) -> InputSpec:
        """From ``{metric: hours_saved}`` or the text ``"metric: hours_saved"``."""
        if isinstance(spec, str) and ":" in spec:
            kind, _, ref = spec.partition(":")
            spec = {kind.strip(): ref.strip()}
        unit = None
        if isinstance(spec, Mapping) and "unit" in spec:
            spec = dict(spec)
            unit = str(spec.pop("unit")).strip() or None
        if not isinstance(spec, Mapping) or len(spec) != 1:
            raise LedgerError(
                f"input {name!r}: expected one 'source_type: reference' pair (and an optional "
                f"unit), e.g. {{metric: hours_saved}}, got {spec!r}"
            )
        ((kind, ref),) = spec.items()
        kind, ref = str(kind).strip(), str(ref).strip()
        if kind not in SOURCE_TYPES:
            raise LedgerError(
                f"input {name!r}: unknown source type {kind!r}; fix: use one of {', '.join(SOURCE_TYPES)}"
            )
        parts = ref.split(".")
        if not all(_NAME.match(p) for p in parts) or len(parts) > (2 if kind == "metric" else 1):
            raise LedgerError(f"input {name!r}: {kind} reference {ref!r} is not a name")
        if not _NAME.match(name):
            raise LedgerError(f"input name {name!r} is not a lowercase identifier")
        return cls(name=name, source_type=kind, ref=ref, unit=unit)

    @property
    def metric(self) -> str:
        """The metric's name (``hours_saved`` of ``hours_saved.actual_minutes``)."""
        return self.ref.split(".", 1)[0]

    @property
    def column(self) -> str:
        """The metric column this input is (``value`` unless an extra column is named)."""
        return self.ref.split(".", 1)[1] if "." in self.ref else "value"

    @property
    def source_ref(self) -> str:
        """The reference as the ledger writes it (cost rows and events add detail per week)."""
        if self.source_type == "metric":
            return f"metrics.{self.ref}"
        if self.source_type == "assumption":
            return self.ref
        if self.source_type == "cost_rows":
            return f"staging.cost_allocations[{self.ref}]"
        return f"staging.ai_events.{self.ref}"

    @property
    def source_object(self) -> str:
        """The qualified object whose SQL produces this input's source rows."""
        if self.source_type == "metric":
            return f"metrics.{self.metric}"
        return SOURCE_OBJECT[self.source_type]


@dataclass(frozen=True)
class LineSpec:
    """A ROI line as its header declares it."""

    line_id: str
    title: str
    category: str
    formula: Formula
    inputs: tuple[InputSpec, ...]
    owner: str | None
    definition: SqlDefinition

    @classmethod
    def from_definition(cls, d: SqlDefinition) -> LineSpec:
        header = d.header
        if not isinstance(header, RoiHeader):
            raise LedgerError(f"{d.qualified} is not a ROI line")
        if not header.formula:
            raise LedgerError(
                "the header has no formula; fix: add 'formula: ...' over the named inputs"
            )
        try:
            formula = Formula.parse(header.formula)
        except FormulaError as exc:
            raise LedgerError(f"header formula: {exc}") from exc
        if not header.inputs:
            raise LedgerError("the header has no inputs; fix: map each formula name to its source")
        inputs = tuple(InputSpec.parse(n, s) for n, s in header.inputs.items())
        names = [i.name for i in inputs]
        missing = [n for n in formula.names if n not in names]
        unused = [n for n in names if n not in formula.names]
        if missing:
            raise LedgerError(
                f"formula names {', '.join(missing)} that are not in inputs; fix: declare "
                "each one under inputs with its source"
            )
        if unused:
            raise LedgerError(
                f"inputs {', '.join(unused)} are not used by the formula; fix: remove them or "
                "use them in the formula"
            )
        columns = set(d.columns or ())
        absent = [c for c in ["system", *names, "amount"] if c not in columns]
        if absent:
            raise LedgerError(
                f"the SELECT does not return {', '.join(absent)}; fix: return the AI system "
                "(one row per week_start and system), one DECIMAL column per input and amount "
                "DECIMAL(38,10)"
            )
        return cls(
            line_id=d.name,
            title=header.title,
            category=header.category.value,
            formula=formula,
            inputs=inputs,
            owner=header.owner,
            definition=d,
        )


def line_specs(registry: Registry) -> tuple[list[LineSpec], dict[str, str]]:
    """(valid ROI lines by name, {line_id: problem} for the invalid ones)."""
    specs: list[LineSpec] = []
    problems: dict[str, str] = {}
    for d in sorted(registry.by_schema()["roi"], key=lambda d: d.name):
        try:
            specs.append(LineSpec.from_definition(d))
        except LedgerError as exc:
            problems[d.name] = f"{d.path}: {exc}"
    for _q, broken in sorted(registry.broken.items()):
        if broken.schema == "roi":
            problems[broken.name] = f"invalid definition: {broken.message}"
    return specs, problems
