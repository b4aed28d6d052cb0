"""Raw data contracts: the columns, types, keys and rules of every source table.

One `Contract` per table of docs/ARCHITECTURE.md. Ingest compiles a contract into SQL
(metrics/ingest.py); the app's data page renders it with `contract_markdown`.

>>> sorted(CONTRACTS)[:3]
['ai_events', 'ai_features', 'assumptions']
>>> load_contract("feedback").key
('event_id',)
>>> load_contract("ai_events").column("confidence").max
1.0
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

from outcomes.errors import OutcomesError

# The rule names written to raw.quarantine.rule, in the order checks are reported.
RULES: tuple[str, ...] = (
    "malformed",
    "required",
    "type",
    "allowed_values",
    "range",
    "not_future",
    "order",
    "one_of",
    "duplicate_key",
)

_TYPE_PATTERN = re.compile(
    r"^(VARCHAR|TIMESTAMP|DATE|BOOLEAN|BIGINT|DOUBLE|DECIMAL\(\d+,\s*\d+\))$"
)


class Column(BaseModel):
    """One column of a raw table and the rules its values must meet.

    >>> Column(name="cost_usd", type="DECIMAL(18,6)", required=True, min=0).rules()
    ['required', 'type', 'range']
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Column name in the source file and in raw.<table>.")
    type: str = Field(description="DuckDB type, e.g. VARCHAR, TIMESTAMP, DECIMAL(18,6).")
    required: bool = Field(False, description="Null or empty is rejected (rule `required`).")
    allowed_values: tuple[str, ...] | None = Field(
        None, description="The value must be one of these (rule `allowed_values`)."
    )
    pattern: str | None = Field(
        None,
        description="Regular expression the whole value must match (rule `allowed_values`).",
    )
    pattern_hint: str | None = Field(None, description="Human wording of `pattern`.")
    min: float | None = Field(None, description="Inclusive lower bound (rule `range`).")
    max: float | None = Field(None, description="Inclusive upper bound (rule `range`).")
    not_future: bool = Field(
        False,
        description="A timestamp later than now plus `future_tolerance_hours` is rejected "
        "(rule `not_future`).",
    )
    after: str | None = Field(
        None, description="Name of a column this one must be >= (rule `order`)."
    )
    description: str = Field("", description="What the column holds.")

    @model_validator(mode="after")
    def _check(self) -> Column:
        if not _TYPE_PATTERN.match(self.type):
            raise ValueError(f"column {self.name}: unsupported type {self.type!r}")
        if (self.min is not None or self.max is not None) and self.type in (
            "VARCHAR",
            "BOOLEAN",
            "TIMESTAMP",
            "DATE",
        ):
            raise ValueError(f"column {self.name}: min/max need a numeric type, not {self.type}")
        if self.not_future and self.type not in ("TIMESTAMP", "DATE"):
            raise ValueError(f"column {self.name}: not_future needs TIMESTAMP or DATE")
        return self

    @property
    def is_decimal(self) -> bool:
        return self.type.startswith("DECIMAL")

    def rules(self) -> list[str]:
        """The rule names this column can fail, in reporting order."""
        out = []
        if self.required:
            out.append("required")
        if self.type != "VARCHAR":
            out.append("type")
        if self.allowed_values is not None or self.pattern is not None:
            out.append("allowed_values")
        if self.min is not None or self.max is not None:
            out.append("range")
        if self.not_future:
            out.append("not_future")
        if self.after is not None:
            out.append("order")
        return out

    def rule_text(self) -> str:
        """Short human wording of the column's rules.

        >>> Column(name="x", type="DOUBLE", min=0, max=1).rule_text()
        '0 ≤ value ≤ 1'
        """
        parts = []
        if self.allowed_values is not None:
            parts.append("one of " + ", ".join(self.allowed_values))
        if self.pattern is not None:
            parts.append(self.pattern_hint or f"matches {self.pattern}")
        if self.min is not None and self.max is not None:
            parts.append(f"{_num(self.min)} ≤ value ≤ {_num(self.max)}")
        elif self.min is not None:
            parts.append(f"≥ {_num(self.min)}")
        elif self.max is not None:
            parts.append(f"≤ {_num(self.max)}")
        if self.not_future:
            parts.append("not in the future")
        if self.after is not None:
            parts.append(f"≥ {self.after}")
        return "; ".join(parts)


class Contract(BaseModel):
    """The contract of one raw table.

    >>> c = load_contract("ai_features")
    >>> c.one_of, c.names[:2]
    (('value_num', 'value_cat'), ('event_id', 'feature'))
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    one_of: tuple[str, ...] | None = Field(
        default=None, description="Exactly one of these columns must hold a value (rule `one_of`)."
    )
    description: str = ""

    @model_validator(mode="after")
    def _check(self) -> Contract:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"contract {self.table}: duplicate column names")
        for name in (*self.key, *(self.one_of or ())):
            if name not in names:
                raise ValueError(f"contract {self.table}: unknown column {name!r}")
        for k in self.key:
            if not self.column(k).required:
                raise ValueError(f"contract {self.table}: key column {k} must be required")
        for c in self.columns:
            if c.after is not None and c.after not in names:
                raise ValueError(f"contract {self.table}: {c.name} after unknown column {c.after}")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.table} has no column {name!r}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _c(name: str, type: str = "VARCHAR", required: bool = False, **kw: object) -> Column:
    return Column(name=name, type=type, required=required, **kw)  # type: ignore[arg-type]


_CONTRACT_LIST = [
    Contract(
        table="ai_events",
        key=("event_id",),
        description="One row per AI prediction/suggestion served.",
        columns=(
            _c("event_id", required=True, description="Unique id of the AI event."),
            _c(
                "occurred_at",
                "TIMESTAMP",
                True,
                not_future=True,
                description="When it was served (UTC).",
            ),
            _c("system", required=True, description="AI system that served it."),
            _c("model_version", required=True, description="Model version that served it."),
            _c("segment", required=True, description="Customer segment."),
            _c(
                "action_tier",
                required=True,
                allowed_values=("suggest", "approve", "auto"),
                description="How much the AI was allowed to act.",
            ),
            _c("prediction", required=True, description="What the model predicted."),
            _c("confidence", "DOUBLE", True, min=0, max=1, description="Model confidence, 0..1."),
            _c("latency_ms", "DOUBLE", True, min=0, description="Serving latency in milliseconds."),
            _c("tokens_in", "BIGINT", True, min=0, description="Prompt tokens."),
            _c("tokens_out", "BIGINT", True, min=0, description="Completion tokens."),
            _c("cost_usd", "DECIMAL(18,6)", True, min=0, description="Inference cost in USD."),
            _c("user_id", required=True, description="User who received it."),
            _c("work_item_id", description="Work item (ticket) it was for, if any."),
            _c("customer_id", required=True, description="Customer the work was for."),
        ),
    ),
    Contract(
        table="ai_features",
        key=("event_id", "feature"),
        one_of=("value_num", "value_cat"),
        description="Model input features in long form: one row per event and feature.",
        columns=(
            _c("event_id", required=True, description="AI event the feature belongs to."),
            _c("feature", required=True, description="Feature name."),
            _c("value_num", "DOUBLE", description="Numeric value (or value_cat)."),
            _c("value_cat", description="Categorical value (or value_num)."),
        ),
    ),
    Contract(
        table="feedback",
        key=("event_id",),
        description="Human feedback on an AI event.",
        columns=(
            _c("event_id", required=True, description="AI event the feedback is about."),
            _c(
                "labeled_at",
                "TIMESTAMP",
                True,
                not_future=True,
                description="When it was labelled (UTC).",
            ),
            _c("correct", "BOOLEAN", description="Was the prediction correct (null: not judged)."),
            _c("accepted", "BOOLEAN", True, description="Did the user accept the suggestion."),
            _c("overridden", "BOOLEAN", True, description="Did the user override the AI."),
            _c("reviewer", description="Who labelled it."),
        ),
    ),
    Contract(
        table="work_items",
        key=("item_id",),
        description="Work items (tickets), with or without AI help.",
        columns=(
            _c("item_id", required=True, description="Unique id of the work item."),
            _c(
                "opened_at",
                "TIMESTAMP",
                True,
                not_future=True,
                description="When it was opened (UTC).",
            ),
            _c(
                "closed_at", "TIMESTAMP", after="opened_at", description="When it was closed (UTC)."
            ),
            _c("team", required=True, description="Team that handled it."),
            _c("customer_id", required=True, description="Customer it was for."),
            _c("ai_assisted", "BOOLEAN", True, description="Was AI used on it."),
            _c("handle_minutes", "DOUBLE", min=0, description="Hands-on handling time in minutes."),
            _c(
                "outcome",
                allowed_values=("resolved", "escalated", "duplicate", "open"),
                description="How it ended.",
            ),
        ),
    ),
    Contract(
        table="users",
        key=("user_id",),
        description="Users and when they were eligible to use the AI.",
        columns=(
            _c("user_id", required=True, description="Unique user id."),
            _c("team", required=True, description="User's team."),
            _c("eligible_from", "DATE", True, description="First day the user could use the AI."),
            _c(
                "eligible_to",
                "DATE",
                after="eligible_from",
                description="Last eligible day, if any.",
            ),
        ),
    ),
    Contract(
        table="costs",
        key=("cost_id",),
        description="Cost line items (invoices, allocations).",
        columns=(
            _c("cost_id", required=True, description="Unique id of the cost line."),
            _c("period_start", "DATE", True, description="First day the cost covers."),
            _c(
                "period_end",
                "DATE",
                True,
                after="period_start",
                description="Last day the cost covers.",
            ),
            _c(
                "category",
                required=True,
                allowed_values=("inference", "infrastructure", "people", "licence", "build"),
                description="Cost category.",
            ),
            _c("amount", "DECIMAL(18,2)", True, min=0, description="Amount in `currency`."),
            _c(
                "currency",
                required=True,
                pattern="^[A-Z]{3}$",
                pattern_hint="3 upper-case letters (ISO 4217, e.g. USD)",
                description="ISO 4217 currency code.",
            ),
            _c("vendor", description="Vendor, if any."),
            _c("invoice_ref", description="Invoice reference, if any."),
        ),
    ),
    Contract(
        table="incidents",
        key=("incident_id",),
        description="Incidents affecting the AI system.",
        columns=(
            _c("incident_id", required=True, description="Unique incident id."),
            _c("started_at", "TIMESTAMP", True, description="When it started (UTC)."),
            _c(
                "detected_at",
                "TIMESTAMP",
                True,
                after="started_at",
                not_future=True,
                description="When it was detected (UTC).",
            ),
            _c(
                "resolved_at",
                "TIMESTAMP",
                after="detected_at",
                description="When it was resolved (UTC).",
            ),
            _c(
                "severity",
                required=True,
                allowed_values=("sev1", "sev2", "sev3", "sev4"),
                description="Severity, sev1 worst.",
            ),
            _c(
                "cause",
                required=True,
                allowed_values=(
                    "data_drift",
                    "model_regression",
                    "outage",
                    "data_pipeline",
                    "cost_spike",
                    "other",
                ),
                description="Root cause category.",
            ),
        ),
    ),
    Contract(
        table="assumptions",
        key=("key", "effective_from"),
        description="ROI assumptions, versioned by the day they take effect.",
        columns=(
            _c("key", required=True, description="Assumption name."),
            _c("effective_from", "DATE", True, description="Day this value takes effect."),
            _c(
                "value",
                "DECIMAL(18,6)",
                True,
                after="low",
                description="Value (low ≤ value ≤ high).",
            ),
            _c("unit", required=True, description="Unit of the value."),
            _c("owner", required=True, description="Who answers for it."),
            _c("source", required=True, description="Where the value comes from."),
            _c("note", description="Free note."),
            _c("low", "DECIMAL(18,6)", description="Low end of the plausible range."),
            _c(
                "high",
                "DECIMAL(18,6)",
                after="value",
                description="High end of the plausible range.",
            ),
        ),
    ),
]

CONTRACTS: dict[str, Contract] = {c.table: c for c in _CONTRACT_LIST}


class UnknownTableError(OutcomesError, KeyError):
    """A table name that has no contract."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0])


def load_contract(table: str) -> Contract:
    """The contract of `table`; a clear error naming the known tables otherwise.

    >>> load_contract("costs").column("category").allowed_values[0]
    'inference'
    >>> try:
    ...     load_contract("nope")
    ... except UnknownTableError as exc:
    ...     print(exc)
    unknown table 'nope'; known tables: ai_events, ai_features, assumptions, costs, feedback, incidents, users, work_items
    """
    try:
        return CONTRACTS[table]
    except KeyError:
        known = ", ".join(sorted(CONTRACTS))
        raise UnknownTableError(f"unknown table {table!r}; known tables: {known}") from None


def contract_markdown(table: str) -> str:
    """The contract of `table` as a Markdown table (for the app's data page).

    >>> print(contract_markdown("users"))  # doctest: +NORMALIZE_WHITESPACE
    **users** — Users and when they were eligible to use the AI. Key: `user_id`.
    <BLANKLINE>
    | column | type | required | rules | description |
    |---|---|---|---|---|
    | `user_id` | VARCHAR | yes |  | Unique user id. |
    | `team` | VARCHAR | yes |  | User's team. |
    | `eligible_from` | DATE | yes |  | First day the user could use the AI. |
    | `eligible_to` | DATE |  | ≥ eligible_from | Last eligible day, if any. |
    """
    c = load_contract(table)
    key = ", ".join(f"`{k}`" for k in c.key)
    head = f"**{c.table}** — {c.description} Key: {key}."
    if c.one_of:
        head += " Exactly one of " + " / ".join(f"`{n}`" for n in c.one_of) + " must be set."
    lines = [
        head,
        "",
        "| column | type | required | rules | description |",
        "|---|---|---|---|---|",
    ]
    for col in c.columns:
        req = "yes" if col.required else ""
        rules = col.rule_text().replace("|", "\\|")
        lines.append(f"| `{col.name}` | {col.type} | {req} | {rules} | {col.description} |")
    return "\n".join(lines)
