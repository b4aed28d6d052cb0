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

from outcomes.core.contract_model import RULES, Column, Contract
from outcomes.errors import OutcomesError

__all__ = [
    "CONTRACTS",
    "RULES",
    "Column",
    "Contract",
    "UnknownTableError",
    "contract_markdown",
    "load_contract",
]


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
            _c(
                "system",
                description="AI system that assisted it; empty when no AI system did.",
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
            _c(
                "system",
                description="AI system the cost belongs to; empty: a shared cost, allocated to "
                "the systems by `allocate_by`.",
            ),
            _c(
                "allocate_by",
                allowed_values=("events", "hours_saved", "equal"),
                description="Driver that splits a shared cost over the systems each week "
                "(empty: events); ignored when `system` is set.",
            ),
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
            _c("system", description="AI system it affected; empty: not attributed."),
        ),
    ),
    Contract(
        table="assumptions",
        key=("key", "system", "effective_from"),
        description="ROI assumptions, versioned by the day they take effect; a row for a "
        "system overrides the company-wide row (empty system) for that system.",
        columns=(
            _c("key", required=True, description="Assumption name."),
            _c(
                "system",
                description="AI system the value is for; empty: the company-wide default.",
            ),
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
    Contract(
        table="systems",
        key=("system", "effective_from"),
        description="The register of AI systems: stage, owner and production targets, "
        "versioned by the day they take effect (a stage change is a new row).",
        columns=(
            _c("system", required=True, description="AI system name (as in ai_events.system)."),
            _c("effective_from", "DATE", True, description="Day this version takes effect."),
            _c(
                "stage",
                required=True,
                allowed_values=("pilot", "production", "retired"),
                description="Lifecycle stage from effective_from on.",
            ),
            _c("owner", required=True, description="Who answers for the system."),
            _c(
                "rollback_target",
                description="What to roll back to (e.g. a model version); empty: none recorded.",
            ),
            _c(
                "production_events_per_week",
                "BIGINT",
                min=0,
                description="Expected AI events a week in production; empty: not planned.",
            ),
            _c(
                "inference_budget_per_week",
                "DECIMAL(18,2)",
                min=0,
                description="Inference budget a week, reporting currency; empty: no budget set.",
            ),
            _c(
                "freshness_sla_hours",
                "DOUBLE",
                min=0,
                description="Hours within which its data must be fresh; empty: no SLA.",
            ),
            _c("note", description="Free note."),
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
    unknown table 'nope'; known tables: ai_events, ai_features, assumptions, costs, feedback, incidents, systems, users, work_items
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
