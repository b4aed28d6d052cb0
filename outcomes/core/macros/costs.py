"""Macros of the ROI cost lines (sql/roi): a category's cost lines per reporting week and system."""

from __future__ import annotations

from outcomes.core.macros.definition import Macro

COST_ALLOCATIONS = "staging.cost_allocations"

# One row per reporting week up to `until` and AI system with cost lines of `cost_category`
# (the system's own lines and its allocated shares of the shared ones, whole cents): their
# sum, and that sum as the line's amount when every cost line is in the reporting currency
# (else the build fails the line, named `line_name` in the message).
COST_LINES = Macro(
    "cost_lines",
    f"cost_category, line_name, until, allocations := '{COST_ALLOCATIONS}'",
    """
with weekly as (
    select
        week_start,
        system,
        sum(amount) as cost,
        bool_and(currency = setting('currency')) as in_reporting_currency,
        string_agg(distinct currency, ', ' order by currency) as currencies
    from query_table(allocations)
    where category = cost_category
        and week_start <= until
    group by week_start, system
)

select
    week_start,
    system,
    cost,
    case
        when in_reporting_currency then cost::decimal(38, 10)
        else error(line_name || ': cost lines of week ' || week_start || ' are in ' || currencies
            || ', the reporting currency is ' || setting('currency') || '; convert them first')
    end as amount,
    cost::double as value
from weekly""",
    table=True,
    reads=(COST_ALLOCATIONS,),
)
