"""The raw contracts match docs/ARCHITECTURE.md and render for the data page."""

from __future__ import annotations

import pydantic
import pytest

from outcomes.core.contracts import (
    CONTRACTS,
    RULES,
    Column,
    Contract,
    UnknownTableError,
    contract_markdown,
    load_contract,
)

# table -> (key, {column: (type, required)}), transcribed from docs/ARCHITECTURE.md
EXPECTED = {
    "ai_events": (
        ("event_id",),
        {
            "event_id": ("VARCHAR", True),
            "occurred_at": ("TIMESTAMP", True),
            "system": ("VARCHAR", True),
            "model_version": ("VARCHAR", True),
            "segment": ("VARCHAR", True),
            "action_tier": ("VARCHAR", True),
            "prediction": ("VARCHAR", True),
            "confidence": ("DOUBLE", True),
            "latency_ms": ("DOUBLE", True),
            "tokens_in": ("BIGINT", True),
            "tokens_out": ("BIGINT", True),
            "cost_usd": ("DECIMAL(18,6)", True),
            "user_id": ("VARCHAR", True),
            "work_item_id": ("VARCHAR", False),
            "customer_id": ("VARCHAR", True),
        },
    ),
    "ai_features": (
        ("event_id", "feature"),
        {
            "event_id": ("VARCHAR", True),
            "feature": ("VARCHAR", True),
            "value_num": ("DOUBLE", False),
            "value_cat": ("VARCHAR", False),
        },
    ),
    "feedback": (
        ("event_id",),
        {
            "event_id": ("VARCHAR", True),
            "labeled_at": ("TIMESTAMP", True),
            "correct": ("BOOLEAN", False),
            "accepted": ("BOOLEAN", True),
            "overridden": ("BOOLEAN", True),
            "reviewer": ("VARCHAR", False),
        },
    ),
    "work_items": (
        ("item_id",),
        {
            "item_id": ("VARCHAR", True),
            "opened_at": ("TIMESTAMP", True),
            "closed_at": ("TIMESTAMP", False),
            "team": ("VARCHAR", True),
            "customer_id": ("VARCHAR", True),
            "ai_assisted": ("BOOLEAN", True),
            "handle_minutes": ("DOUBLE", False),
            "outcome": ("VARCHAR", False),
            "system": ("VARCHAR", False),
        },
    ),
    "users": (
        ("user_id",),
        {
            "user_id": ("VARCHAR", True),
            "team": ("VARCHAR", True),
            "eligible_from": ("DATE", True),
            "eligible_to": ("DATE", False),
        },
    ),
    "costs": (
        ("cost_id",),
        {
            "cost_id": ("VARCHAR", True),
            "period_start": ("DATE", True),
            "period_end": ("DATE", True),
            "category": ("VARCHAR", True),
            "amount": ("DECIMAL(18,2)", True),
            "currency": ("VARCHAR", True),
            "vendor": ("VARCHAR", False),
            "invoice_ref": ("VARCHAR", False),
            "system": ("VARCHAR", False),
            "allocate_by": ("VARCHAR", False),
        },
    ),
    "incidents": (
        ("incident_id",),
        {
            "incident_id": ("VARCHAR", True),
            "started_at": ("TIMESTAMP", True),
            "detected_at": ("TIMESTAMP", True),
            "resolved_at": ("TIMESTAMP", False),
            "severity": ("VARCHAR", True),
            "cause": ("VARCHAR", True),
            "system": ("VARCHAR", False),
        },
    ),
    "assumptions": (
        ("key", "system", "effective_from"),
        {
            "key": ("VARCHAR", True),
            "system": ("VARCHAR", False),
            "effective_from": ("DATE", True),
            "value": ("DECIMAL(18,6)", True),
            "unit": ("VARCHAR", True),
            "owner": ("VARCHAR", True),
            "source": ("VARCHAR", True),
            "note": ("VARCHAR", False),
            "low": ("DECIMAL(18,6)", False),
            "high": ("DECIMAL(18,6)", False),
        },
    ),
    "systems": (
        ("system", "effective_from"),
        {
            "system": ("VARCHAR", True),
            "effective_from": ("DATE", True),
            "stage": ("VARCHAR", True),
            "owner": ("VARCHAR", True),
            "rollback_target": ("VARCHAR", False),
            "production_events_per_week": ("BIGINT", False),
            "inference_budget_per_week": ("DECIMAL(18,2)", False),
            "freshness_sla_hours": ("DOUBLE", False),
            "note": ("VARCHAR", False),
        },
    ),
}


def test_exactly_the_nine_tables_of_the_architecture():
    assert set(CONTRACTS) == set(EXPECTED)


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_columns_types_keys_and_required(table):
    key, columns = EXPECTED[table]
    c = load_contract(table)
    assert c.table == table
    assert c.key == key
    assert {col.name: (col.type, col.required) for col in c.columns} == columns
    assert list(c.names) == list(columns)  # file order as documented


def test_rules_of_the_architecture():
    ev = load_contract("ai_events")
    assert ev.column("action_tier").allowed_values == ("suggest", "approve", "auto")
    assert (ev.column("confidence").min, ev.column("confidence").max) == (0, 1)
    for name in ("latency_ms", "tokens_in", "tokens_out", "cost_usd"):
        assert ev.column(name).min == 0 and ev.column(name).max is None
    assert ev.column("occurred_at").not_future
    assert load_contract("ai_features").one_of == ("value_num", "value_cat")
    assert load_contract("feedback").column("labeled_at").not_future
    wi = load_contract("work_items")
    assert wi.column("opened_at").not_future
    assert wi.column("closed_at").after == "opened_at"
    assert wi.column("handle_minutes").min == 0
    assert wi.column("outcome").allowed_values == ("resolved", "escalated", "duplicate", "open")
    assert load_contract("users").column("eligible_to").after == "eligible_from"
    costs = load_contract("costs")
    assert costs.column("period_end").after == "period_start"
    assert costs.column("category").allowed_values == (
        "inference",
        "infrastructure",
        "people",
        "licence",
        "build",
    )
    assert costs.column("amount").min == 0
    assert costs.column("currency").pattern == "^[A-Z]{3}$"
    inc = load_contract("incidents")
    assert inc.column("detected_at").after == "started_at"
    assert inc.column("detected_at").not_future
    assert not inc.column("started_at").not_future
    assert inc.column("resolved_at").after == "detected_at"
    assert inc.column("severity").allowed_values == ("sev1", "sev2", "sev3", "sev4")
    assert inc.column("cause").allowed_values == (
        "data_drift",
        "model_regression",
        "outage",
        "data_pipeline",
        "cost_spike",
        "other",
    )
    a = load_contract("assumptions")
    assert a.column("value").after == "low"  # low <= value
    assert a.column("high").after == "value"  # value <= high


def test_only_documented_tables_have_one_of():
    assert [t for t, c in CONTRACTS.items() if c.one_of] == ["ai_features"]


def test_every_rule_named_in_the_architecture():
    assert RULES == (
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


def test_unknown_table_lists_the_known_ones():
    with pytest.raises(UnknownTableError) as err:
        load_contract("events")
    message = str(err.value)
    assert "'events'" in message
    for table in CONTRACTS:
        assert table in message


def test_contracts_are_frozen_and_strict():
    c = load_contract("users")
    with pytest.raises(pydantic.ValidationError):
        c.table = "x"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        Column(name="x", type="VARCHAR", colour="red")  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError, match="unsupported type"):
        Column(name="x", type="TEXT")
    with pytest.raises(pydantic.ValidationError, match="numeric"):
        Column(name="x", type="VARCHAR", min=0)
    with pytest.raises(pydantic.ValidationError, match="unknown column"):
        Contract(
            table="t", key=("nope",), columns=(Column(name="a", type="VARCHAR", required=True),)
        )
    with pytest.raises(pydantic.ValidationError, match="must be required"):
        Contract(table="t", key=("a",), columns=(Column(name="a", type="VARCHAR"),))
    with pytest.raises(pydantic.ValidationError, match="after unknown"):
        Contract(
            table="t",
            key=("a",),
            columns=(Column(name="a", type="DATE", required=True, after="b"),),
        )


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_markdown_shows_every_column_and_the_key(table):
    md = contract_markdown(table)
    c = load_contract(table)
    lines = md.splitlines()
    assert lines[2] == "| column | type | required | rules | description |"
    assert len([line for line in lines if line.startswith("| `")]) == len(c.columns)
    for col in c.columns:
        assert f"| `{col.name}` | {col.type} |" in md
    for k in c.key:
        assert f"`{k}`" in lines[0]


def test_markdown_states_rules_in_words():
    md = contract_markdown("ai_events")
    assert "0 ≤ value ≤ 1" in md
    assert "one of suggest, approve, auto" in md
    assert "not in the future" in md
    assert "Exactly one of `value_num` / `value_cat`" in contract_markdown("ai_features")
    assert "3 upper-case letters" in contract_markdown("costs")


def test_system_columns_and_their_rules():
    assert load_contract("costs").column("allocate_by").allowed_values == (
        "events",
        "hours_saved",
        "equal",
    )
    assert load_contract("systems").column("stage").allowed_values == (
        "pilot",
        "production",
        "retired",
    )
    # an empty system is a key value of its own (company-wide), never a null key
    assert load_contract("assumptions").nullable_key == ("system",)
    assert load_contract("systems").nullable_key == ()


def test_a_key_must_start_with_a_required_column():
    with pytest.raises(pydantic.ValidationError, match="must be required"):
        Contract(
            table="t",
            key=("a", "b"),
            columns=(Column(name="a", type="VARCHAR"), Column(name="b", type="VARCHAR")),
        )
