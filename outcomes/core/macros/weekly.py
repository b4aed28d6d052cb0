"""Macros of weekly metrics: the partial-week and coverage flags, and grouping-set bodies.

Grouping-set macros take the name of a CTE of the calling file whose rows have ``week_start``,
``system`` (the AI system) and ``dims``, a non-null struct of the metric's other dimension
columns (``{'model_version': model_version, 'segment': segment}``), and return per week:

- one row per ``system`` and ``dims`` value;
- one total row per ``system`` (``dims`` null);
- one row per ``dims`` value over every system (``system`` null: the company by dims);
- one company total row (``system`` and ``dims`` null).

Rows whose ``system`` is null count in the company rows only (a null system must not pose as
the company). The file unpacks ``dims`` (``dims.segment as segment``).
"""

from __future__ import annotations

from outcomes.core.macros.definition import CALENDAR, Macro

# the four row levels of the module docstring, for a grouping over rows of (week_start,
# system, dims); a row whose system is null counts in the company rows only
_LEVELS = """group by grouping sets (
        (week_start, system, dims), (week_start, system), (week_start, dims), (week_start)
    )
    having grouping(system) = 1 or system is not null"""

PARTIAL_FLAG = Macro(
    "partial_flag",
    f"week, calendar := '{CALENDAR}'",
    """(
    select case when w.is_partial then 'partial' end
    from query_table(calendar) as w
    where w.week_start = week
)""",
    reads=(CALENDAR,),
)

COVERAGE_FLAG = Macro(
    "coverage_flag",
    f"week, coverage, calendar := '{CALENDAR}'",
    """coalesce(
    partial_flag(week, calendar := calendar),
    case when coverage < setting('label_coverage_floor')::double then 'provisional' end
)""",
    reads=(CALENDAR,),
)


def _grouped(
    cte: str, aggregates: tuple[str, ...], outputs: tuple[str, ...], where: str = ""
) -> str:
    """The body of a grouping-set macro: ``aggregates`` of the rows of CTE ``rows`` at the
    four levels (as ``cte``), then ``outputs`` per week, system and dims."""
    aggs = "".join(f",\n        {a}" for a in aggregates)
    outs = "".join(f",\n    {o}" for o in outputs)
    return f"""
with {cte} as (
    select
        week_start,
        system,
        dims{aggs}
    from query_table(rows)
    {_LEVELS}
)

select
    week_start,
    system,
    dims{outs}
from {cte}{where}"""


WEEKLY_QUANTILE = Macro(
    "weekly_quantile",
    f"rows, q, calendar := '{CALENDAR}'",
    _grouped(
        "aggregated",
        ("quantile_cont(x, q) as x_quantile", "count(*) as n"),
        (
            "x_quantile::double as value",
            "n::double as n",
            "partial_flag(week_start, calendar := calendar) as flag",
        ),
    ),
    table=True,
    reads=(CALENDAR,),
)

WEEKLY_MEAN = Macro(
    "weekly_mean",
    f"rows, calendar := '{CALENDAR}'",
    _grouped(
        "aggregated",
        ("sum(x) as x_sum", "count(*) as n"),
        (
            "x_sum::double / n as value",
            "x_sum::double as numerator",
            "n::double as denominator",
            "partial_flag(week_start, calendar := calendar) as flag",
        ),
    ),
    table=True,
    reads=(CALENDAR,),
)

# groups without a labelled row are left out (no ratio)
FEEDBACK_RATIO = Macro(
    "feedback_ratio",
    f"rows, calendar := '{CALENDAR}'",
    _grouped(
        "counted",
        ("count(*) as events", "count_if(labelled) as labelled", "count_if(hit) as hits"),
        (
            "hits::double / labelled as value",
            "hits::double as numerator",
            "labelled::double as denominator",
            "labelled::double / events as coverage",
            "coverage_flag(week_start, labelled::double / events, calendar := calendar) as flag",
        ),
        where="\nwhere labelled > 0",
    ),
    table=True,
    reads=(CALENDAR,),
)
