"""Macros that read the assumptions register (staging.assumptions).

A register row with ``system`` null is the company-wide default; a row for a system overrides
it for that system. :data:`ASSUMPTION_FOR` reads a system's value (its own version in force,
else the company-wide one); :data:`ASSUMPTION_AT` reads the company-wide value only.
"""

from __future__ import annotations

from outcomes.core.macros.definition import Macro

ASSUMPTIONS = "staging.assumptions"


def _in_force(column: str, scope: str) -> str:
    # the `column` of the version in force at `week`: greatest effective_from <= week
    return f"""(
    select arg_max(a.{column}, a.effective_from)
    from query_table(assumptions) as a
    where a.key = assumption_key
        and {scope}
        and a.effective_from <= week
)"""


# the company-wide value of an assumption in force at a week: the version (system null) with
# the latest effective_from on or before it (null when none is)
ASSUMPTION_AT = Macro(
    "assumption_at",
    f"assumption_key, week, assumptions := '{ASSUMPTIONS}'",
    _in_force("value", "a.system is null"),
    reads=(ASSUMPTIONS,),
)


def _for(name: str, column: str) -> Macro:
    # A system's version in force at the week, else the company-wide version in force. The
    # system's version wins only from its own effective_from: before it the default holds.
    return Macro(
        name,
        f"assumption_key, for_system, week, assumptions := '{ASSUMPTIONS}'",
        f"""coalesce(
    {_in_force(column, "a.system = for_system")},
    {_in_force(column, "a.system is null")}
)""",
        reads=(ASSUMPTIONS,),
    )


# the value for a system at a week (the system's version in force, else the company-wide one)
ASSUMPTION_FOR = _for("assumption_for", "value")
# the low / high end of the range of the version assumption_for reads. When the system's
# version has no low (high) the company-wide version's end is NOT used: it would be the range
# of another value; a version without an end is null here, as in the register.
ASSUMPTION_FOR_LOW = Macro(
    "assumption_for_low",
    f"assumption_key, for_system, week, assumptions := '{ASSUMPTIONS}'",
    """(
    select arg_max(a.low, a.effective_from)
    from query_table(assumptions) as a
    where a.key = assumption_key
        and a.effective_from <= week
        and a.system is not distinct from (
            select case when count(*) > 0 then for_system end
            from query_table(assumptions) as s
            where s.key = assumption_key
                and s.system = for_system
                and s.effective_from <= week
        )
)""",
    reads=(ASSUMPTIONS,),
)
ASSUMPTION_FOR_HIGH = Macro(
    "assumption_for_high",
    ASSUMPTION_FOR_LOW.parameters,
    ASSUMPTION_FOR_LOW.body.replace("arg_max(a.low,", "arg_max(a.high,"),
    reads=(ASSUMPTIONS,),
)
