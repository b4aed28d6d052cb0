"""Macros that read the assumptions register (staging.assumptions).

A register row with ``system`` null is the company-wide default; a row for a system overrides
it for that system. :data:`ASSUMPTION_FOR` reads a system's value (its own version in force,
else the company-wide one); :data:`ASSUMPTION_AT` reads the company-wide value only.

The bodies read the register through a derived table whose columns have names no caller's
column has (``_a_system`` ...): the Spark build inlines a macro (Spark has none), and there a
caller's bare argument such as ``system`` would otherwise bind to the register's own column.
"""

from __future__ import annotations

from outcomes.core.macros.definition import Macro

ASSUMPTIONS = "staging.assumptions"
# the register with hygienic column names (see the module doc)
_REGISTER = """(
        select
            r.key as _a_key,
            r.system as _a_system,
            r.effective_from as _a_from,
            r.value as _a_value,
            r.low as _a_low,
            r.high as _a_high
        from query_table(assumptions) as r
    )"""


def _in_force(column: str, scope: str) -> str:
    # the `column` (_a_value, _a_low, _a_high) of the version in force at `week`: the greatest
    # effective_from <= week among the versions of `scope`
    return f"""(
    select arg_max(a.{column}, a._a_from)
    from {_REGISTER} as a
    where a._a_key = assumption_key
        and {scope}
        and a._a_from <= week
)"""


# the company-wide value of an assumption in force at a week: the version (system null) with
# the latest effective_from on or before it (null when none is)
ASSUMPTION_AT = Macro(
    "assumption_at",
    f"assumption_key, week, assumptions := '{ASSUMPTIONS}'",
    _in_force("_a_value", "a._a_system is null"),
    reads=(ASSUMPTIONS,),
)
PARAMETERS = f"assumption_key, for_system, week, assumptions := '{ASSUMPTIONS}'"

# the value for a system at a week: the system's version in force, else the company-wide one.
# The system's version wins only from its own effective_from: before it the default holds.
ASSUMPTION_FOR = Macro(
    "assumption_for",
    PARAMETERS,
    f"""coalesce(
    {_in_force("_a_value", "a._a_system = for_system")},
    {_in_force("_a_value", "a._a_system is null")}
)""",
    reads=(ASSUMPTIONS,),
)


def _range_end(name: str, column: str) -> Macro:
    # The low / high end of the version assumption_for reads. When the system's version has no
    # low (high), the company-wide version's end is NOT used: it is the range of another value.
    return Macro(
        name,
        PARAMETERS,
        f"""case
    when {_in_force("_a_from", "a._a_system = for_system")} is not null
        then {_in_force(column, "a._a_system = for_system")}
    else {_in_force(column, "a._a_system is null")}
end""",
        reads=(ASSUMPTIONS,),
    )


ASSUMPTION_FOR_LOW = _range_end("assumption_for_low", "_a_low")
ASSUMPTION_FOR_HIGH = _range_end("assumption_for_high", "_a_high")
