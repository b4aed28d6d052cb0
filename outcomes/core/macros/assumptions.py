"""Macros that read the assumptions register (staging.assumptions)."""

from __future__ import annotations

from outcomes.core.macros.definition import Macro

ASSUMPTIONS = "staging.assumptions"

# the value of an assumption in force at a week: the version with the latest effective_from
# on or before it (null when none is)
ASSUMPTION_AT = Macro(
    "assumption_at",
    f"assumption_key, week, assumptions := '{ASSUMPTIONS}'",
    """(
    select arg_max(a.value, a.effective_from)
    from query_table(assumptions) as a
    where a.key = assumption_key
        and a.effective_from <= week
)""",
    reads=(ASSUMPTIONS,),
)
