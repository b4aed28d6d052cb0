"""The demo scenario in numbers: tables and their columns, the calendar of events, teams,
segments, features and the dirty rows ingest must quarantine (``/work/shared/DESIGN.md``).

Week numbers are 1-based: week 1 is the first of the 52 complete weeks (Monday start) before
the week containing the demo's end; week 53 is that partial week.

>>> COLUMNS["users"]
('user_id', 'team', 'eligible_from', 'eligible_to')
"""

from __future__ import annotations

import numpy as np

WEEKS = 52  # complete weeks; the partial week containing `end` comes on top
PARQUET_ABOVE = 200_000  # fmt="auto": events and features as Parquet above this many events
WEEKS_PER_PART = 13  # Parquet part files hold a quarter each

_CONTRACT_COLUMNS = {  # docs/ARCHITECTURE.md, "Raw contracts", in that order
    "ai_events": "event_id occurred_at system model_version segment action_tier prediction "
    "confidence latency_ms tokens_in tokens_out cost_usd user_id work_item_id customer_id",
    "ai_features": "event_id feature value_num value_cat",
    "feedback": "event_id labeled_at correct accepted overridden reviewer",
    "work_items": "item_id opened_at closed_at team customer_id ai_assisted handle_minutes outcome "
    "system",
    "users": "user_id team eligible_from eligible_to",
    "costs": "cost_id period_start period_end category amount currency vendor invoice_ref system "
    "allocate_by",
    "incidents": "incident_id started_at detected_at resolved_at severity cause system",
    "assumptions": "key system effective_from value unit owner source note low high",
    "systems": "system effective_from stage owner rollback_target production_events_per_week "
    "inference_budget_per_week freshness_sla_hours note",
}
COLUMNS: dict[str, tuple[str, ...]] = {t: tuple(c.split()) for t, c in _CONTRACT_COLUMNS.items()}

# Dirty rows per table: kind -> the quarantine rule ingest is expected to report.
DIRTY_RULES: dict[str, dict[str, str]] = {
    "ai_events": {
        "missing_customer_id": "required",
        "malformed_timestamp": "type",
        "future_timestamp": "not_future",
        "negative_cost": "range",
        "confidence_above_1": "range",
        "unknown_action_tier": "allowed_values",
        "exact_duplicate": "duplicate_key",
        "conflicting_duplicate": "duplicate_key",
    },
    "ai_features": {"both_values": "one_of", "conflicting_duplicate": "duplicate_key"},
    "feedback": {"malformed_timestamp": "type", "conflicting_duplicate": "duplicate_key"},
    "work_items": {
        "missing_customer_id": "required",
        "malformed_timestamp": "type",
        "exact_duplicate": "duplicate_key",
        "conflicting_duplicate": "duplicate_key",
    },
    "costs": {"negative_amount": "range"},
}
# Share of a table's rows made dirty, per kind (about 0.5% of each affected table in all).
DIRTY_RATE = {
    "ai_events": 0.0006,
    "ai_features": 0.0025,
    "feedback": 0.0025,
    "work_items": 0.00125,
}
MALFORMED = ("2026-13-45 25:61", "yesterday", "2025-02-30 10:00:00", "15/03/2025 14:00")

# The three AI systems and their share of the demo's events (ticket-assistant takes the rest,
# so the total is exactly the events asked for).
SYSTEMS = ("ticket-assistant", "invoice-matcher", "contract-summariser")
SYSTEM = SYSTEMS[0]
SYSTEM_SHARE = (0.65, 0.28, 0.07)
SYSTEM_OWNERS = ("support-ops@example.com", "ap-automation@example.com", "legal-ops@example.com")
SEGMENTS = ("enterprise", "mid_market", "smb")
TIERS = ("suggest", "approve", "auto")
CATEGORIES = ("billing", "bug", "how_to", "outage", "account")
TEAMS = ("support-emea", "support-americas", "support-apac", "enterprise-desk")
# fmt: off
NUMERIC_FEATURES = (
    "ticket_length", "attachments", "customer_tenure_days", "prior_tickets_30d", "sentiment",
    "product_age_days", "priority_score", "reply_count",
)
# fmt: on
CATEGORICAL_FEATURES: dict[str, tuple[str, ...]] = {
    "channel": ("email", "web", "chat"),
    "language": ("en", "de", "fr", "es", "pt"),  # "pt" appears only with the drift
    "product_area": ("billing_portal", "api", "dashboard", "integrations", "mobile"),
    "plan": ("starter", "pro", "enterprise"),
}

# The scenario calendar, in 1-based week numbers.
APPROVE_FROM, PRICE_CUT, DRIFT_FROM, RETRAIN, AUTO_FROM = 12, 26, 30, 34, 36
OUTAGE_WEEK, REGRESSION_WEEK, COST_SPIKE_WEEK, PIPELINE_WEEK = 22, 35, 41, 8
TEAM_SIZES, TEAM_WAVES = (34, 30, 28, 28), (1, 5, 11, 19)  # agents; week each team is eligible
# invoice-matcher: accounts-payable clerks, production from week 8; its input drift starts in
# week 40 and is never fixed. contract-summariser: a legal pilot from week 20 that few use.
AP_TEAM, AP_SIZE, IM_PRODUCTION, IM_DRIFT_FROM = "accounts-payable", 22, 8, 40
LEGAL_TEAM, LEGAL_SIZE, CS_PILOT_FROM = "legal", 16, 20
ALL_TEAMS = (*TEAMS, AP_TEAM, LEGAL_TEAM)
SEGMENT_P = (0.30, 0.40, 0.30)
CUSTOMERS = (90, 300, 510)  # per segment
DAY = 86_400
DAY_WEIGHTS = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.15, 0.1])  # Monday .. Sunday
EVENTS_PER_ITEM = 1.45
