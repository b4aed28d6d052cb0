"""Macros of the ROI cost lines (sql/roi): a category's cost lines per reporting week."""

from __future__ import annotations

from outcomes.core.macros.definition import Macro

COST_WEEKS = "staging.cost_weeks"

# One row per reporting week up to `until` with cost lines of `cost_category`: their sum, and that
# sum as the line's amount when every cost line is in the reporting currency (else the build
# fails the line, named `line_name` in the message).
COST_LINES = Macro(
    "cost_lines",
    f"cost_category, line_name, until, cost_weeks := '{COST_WEEKS}'",
    """
with weekly as (
    select
        week_start,
        sum(amount) as cost,
        bool_and(currency = setting('currency')) as in_reporting_currency,
        string_agg(distinct currency, ', ' order by currency) as currencies
    from query_table(cost_weeks)
    where category = cost_category
        and week_start <= until
    group by week_start
)

select
    week_start,
    cost,
    case
        when in_reporting_currency then cost::decimal(38, 10)
        else error(line_name || ': cost lines of week ' || week_start || ' are in ' || currencies
            || ', the reporting currency is ' || setting('currency') || '; convert them first')
    end as amount,
    cost::double as value
from weekly""",
    table=True,
    reads=(COST_WEEKS,),
)
