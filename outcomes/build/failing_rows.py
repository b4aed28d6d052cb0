"""Header tests as queries that return the failing rows (zero rows = pass), and their run.

>>> from outcomes.core.header_tests import HeaderTest
>>> print(failing_rows_query("metrics.x", HeaderTest.parse("not_null(value)")))
SELECT * FROM metrics.x WHERE "value" IS NULL
"""

from __future__ import annotations

from collections import Counter

import duckdb
from sqlglot import exp

from outcomes.build.objects import HeaderTestResult, ObjectResult, error_text, scalar
from outcomes.core.header_tests import HeaderTest, HeaderTestName
from outcomes.core.progress import Progress
from outcomes.core.registry import Registry


def failing_rows_query(relation: str, test: HeaderTest) -> str:
    """The query that returns the rows failing ``test`` (zero rows = pass).

    >>> print(failing_rows_query("metrics.accuracy", HeaderTest.parse("range(value, 0, 1)")))
    SELECT * FROM metrics.accuracy WHERE "value" < 0 OR "value" > 1
    """
    cols = [exp.column(c, quoted=True) for c in test.columns]
    table = exp.to_table(relation)
    if test.test is HeaderTestName.not_null:
        condition = exp.or_(*[c.is_(exp.null()) for c in cols])
        query = exp.select("*").from_(table).where(condition)
    elif test.test is HeaderTestName.unique:
        query = (
            exp.select(*cols, exp.alias_(exp.func("count", exp.Star()), "n"))
            .from_(table)
            .group_by(*cols)
            .having(exp.func("count", exp.Star()) > 1)
        )
    elif test.test is HeaderTestName.range:
        lo, hi = test.args
        conditions: list[exp.Expression] = []
        if lo is not None:
            conditions.append(cols[0] < exp.convert(lo))
        if hi is not None:
            conditions.append(cols[0] > exp.convert(hi))
        query = exp.select("*").from_(table).where(exp.or_(*conditions))
    else:
        values = [exp.convert(v) for v in test.args[0]]
        condition = exp.and_(cols[0].is_(exp.null()).not_(), exp.not_(cols[0].isin(*values)))
        query = exp.select("*").from_(table).where(condition)
    return query.sql("duckdb")


def run_header_tests(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    objects: list[ObjectResult],
    say: Progress,
) -> list[HeaderTestResult]:
    """Run every header test of every object built ``ok``; says each test that did not pass."""
    results = []
    for o in objects:
        if o.status != "ok":
            continue  # the object's own failure is already recorded
        d = registry.definitions[o.qualified]
        for test in d.header.tests:
            query = failing_rows_query(d.qualified, test)
            try:
                failing = scalar(con, f"select count(*) from ({query})")
            except duckdb.Error as exc:
                results.append(HeaderTestResult(d.name, test.text, "error", None, error_text(exc)))
                continue
            if failing:
                message = (
                    f"{failing:,} failing row{'s' if failing != 1 else ''}; see them with: {query}"
                )
                results.append(HeaderTestResult(d.name, test.text, "fail", failing, message))
            else:
                results.append(HeaderTestResult(d.name, test.text, "pass", 0, ""))
            if results[-1].status != "pass":
                say(f"test {d.qualified} {test.text}: {results[-1].status}")
    counts = Counter(t.status for t in results)
    say("tests: " + ", ".join(f"{counts[k]} {k}" for k in ("pass", "fail", "error")))
    return results
