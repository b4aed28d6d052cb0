"""Rewrites of a DuckDB tree (macros inlined) into nodes that Spark computes as DuckDB does.

Each fixes something sqlglot 30 transpiles silently wrong, or not at all:

- :func:`iso_weekdays`: ``isodow(d)`` (Monday 1 .. Sunday 7); sqlglot writes
  ``DAYOFWEEK(d) % 7 + 1``, which makes Sunday 2 and moves every week start to a Saturday.
- :func:`double_division`: DuckDB's ``/`` divides in DOUBLE; Spark divides DECIMALs as DECIMAL
  (rounded to its scale rules): both operands are cast to DOUBLE.
- :func:`hugeint_casts`: ``HUGEINT`` -> ``DECIMAL(38, 0)`` (Spark has no 128-bit integer).
- :func:`ordered_lists`: ``list(x ORDER BY y)`` -> a sorted ``collect_list`` (sqlglot drops
  the ORDER BY); ``list(DISTINCT x ORDER BY x)`` -> ``array_sort(collect_set(x))``.
- :func:`list_lengths`: ``len(x)`` of a list column -> ``SIZE(x)`` (``LENGTH`` is for text).
- :func:`json_lists`: ``json_extract_string(j, '$[*].f')`` (a list in DuckDB, a JSON text in
  Spark) -> ``transform(from_json(j, 'array<struct<f:string>>'), e -> e.f)``;
  ``list_has_any`` -> ``arrays_overlap``.
- :func:`asof_joins`: an ASOF join -> a plain join on the next value (portable window SQL,
  :func:`asof_as_window_join`, which runs on DuckDB too).
- :func:`second_differences`: ``date_diff('second', a, b)`` (boundaries crossed) ->
  ``unix_seconds(b) - unix_seconds(a)``.
- :func:`qualify_filters`: ``QUALIFY`` -> a filtered subquery keeping every column the
  condition reads (sqlglot's rewrite can drop one).
- :func:`series_tables`, :func:`parallel_unnests`: ``FROM range(a, b) AS q(x)`` and several
  ``unnest`` in one SELECT (zipped by DuckDB) -> LATERAL VIEWs (one generator per SELECT).
- :func:`generators`: ``CAST(UNNEST(x) AS t)`` -> ``EXPLODE(CAST(x AS ARRAY<t>))``; Spark
  refuses a generator inside an expression.
- :func:`quantiles`: ``quantile_cont(x, q)`` / ``median(x)`` -> ``percentile(x, q)`` (linear
  interpolation in both).
- :func:`error_calls`: ``error(m)`` -> ``raise_error(m)``.
- :func:`finite_checks`: ``isfinite(x)`` -> ``NOT ISNAN(x) AND ABS(x) <> 'Infinity'``.
- :func:`time_buckets`: ``time_bucket(interval n unit, ts)`` -> the same bucket in
  microseconds from DuckDB's origin (Monday 2000-01-03); Spark has no DATE_BIN.
- :func:`materialized_hints`: ``with x as materialized (...)`` -> a plain CTE (a DuckDB
  planning hint Spark's parser refuses; results do not depend on it).
- :func:`spark_table_names`: ``staging.weeks`` -> ``staging__weeks`` (temporary views).

Decimal scales of products are kept by the session setting
``spark.sql.decimalOperations.allowPrecisionLoss=false`` (the Spark engine sets it): with
precision loss allowed, Spark cuts a product's scale (480.0 became 479.9988).
"""

from __future__ import annotations

from typing import cast

import sqlglot
from sqlglot import exp

from outcomes.errors import OutcomesError

SCHEMAS = ("raw", "staging", "staging_data", "metrics", "roi", "main")
ASOF_NEXT = "__asof_next"


class NotPortable(OutcomesError):
    """A construct the rewrites cannot carry to Spark."""


def _spark(snippet: str, **nodes: exp.Expression) -> exp.Expression:
    """A Spark snippet as a tree, its ``__name__`` columns replaced by ``nodes``."""
    tree = cast(exp.Expression, sqlglot.parse_one(snippet, read="spark"))
    for column in list(tree.find_all(exp.Column)):
        name = column.name
        if name.startswith("__") and name.strip("_") in nodes:
            column.replace(nodes[name.strip("_")].copy())
    return tree


def iso_weekdays(tree: exp.Expression) -> exp.Expression:
    """``isodow(d)`` -> ``(DAYOFWEEK(d) + 5) % 7 + 1`` (Spark's DAYOFWEEK: Sunday 1)."""
    for node in list(tree.find_all(exp.DayOfWeekIso)):
        node.replace(exp.Paren(this=_spark("(DAYOFWEEK(__d__) + 5) % 7 + 1", d=node.this)))
    return tree


def double_division(tree: exp.Expression) -> exp.Expression:
    """``a / b`` -> ``CAST(a AS DOUBLE) / CAST(b AS DOUBLE)``."""
    for node in list(tree.find_all(exp.Div)):
        for key in ("this", "expression"):
            operand = node.args[key]
            if not (isinstance(operand, exp.Cast) and operand.to.is_type("double")):
                node.set(key, exp.cast(operand, "double"))
    return tree


def hugeint_casts(tree: exp.Expression) -> exp.Expression:
    """``CAST(x AS HUGEINT)`` -> ``CAST(x AS DECIMAL(38, 0))``."""
    for node in list(tree.find_all(exp.DataType)):
        if node.is_type(exp.DataType.Type.INT128):
            node.replace(exp.DataType.build("decimal(38, 0)"))
    return tree


def list_lengths(tree: exp.Expression) -> exp.Expression:
    """``len(x)`` of a column the SQL built as a list (``list(...) AS x``) -> ``SIZE(x)``:
    DuckDB's ``len`` takes lists and text, Spark's ``LENGTH`` text only."""
    lists = {
        alias.alias.lower()
        for alias in tree.find_all(exp.Alias)
        if isinstance(alias.this, exp.ArrayAgg | exp.Array | exp.ArraySort | exp.ArrayDistinct)
    }
    for node in list(tree.find_all(exp.Length)):
        if isinstance(node.this, exp.Column) and node.this.name.lower() in lists:
            node.replace(exp.ArraySize(this=node.this.copy()))
    return tree


def ordered_lists(tree: exp.Expression) -> exp.Expression:
    """``list(x ORDER BY y)`` -> ``transform(array_sort(collect_list(struct(y, x))), ...)``."""
    for agg in list(tree.find_all(exp.ArrayAgg)):
        inner = agg.this
        if not isinstance(inner, exp.Order):
            continue
        value = inner.this
        keys = inner.expressions
        if isinstance(value, exp.Distinct):
            (item,) = value.expressions
            if len(keys) != 1 or keys[0].this != item or keys[0].args.get("desc"):
                raise NotPortable("list(DISTINCT x ORDER BY ...) must order by x ascending")
            agg.replace(_spark("ARRAY_SORT(COLLECT_SET(__x__))", x=item))
            continue
        if len(keys) != 1 or keys[0].args.get("desc"):
            raise NotPortable("list(x ORDER BY y) must order by one key, ascending")
        agg.replace(
            _spark(
                "TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(__y__ AS k, __x__ AS v))), s -> s.v)",
                x=value,
                y=keys[0].this,
            )
        )
    return tree


def json_lists(tree: exp.Expression) -> exp.Expression:
    """JSON list paths and ``list_has_any`` (see the module docstring)."""
    for node in list(tree.find_all(exp.JSONExtractScalar, exp.JSONExtract)):
        path = node.expression
        text = path.name if isinstance(path, exp.Literal) else None
        if text is None and isinstance(path, exp.JSONPath):
            text = path.sql("duckdb").strip("'")
        if text and text.startswith("$[*]."):
            field = text[len("$[*].") :]
            if not field.isidentifier():
                raise NotPortable(f"JSON path {text}: only $[*].<field> lists port")
            node.replace(
                _spark(
                    f"TRANSFORM(FROM_JSON(__j__, 'array<struct<{field}:string>>'), e -> e.{field})",
                    j=node.this,
                )
            )
    for node in list(tree.find_all(exp.ArrayOverlaps)):
        node.replace(_spark("ARRAYS_OVERLAP(__a__, __b__)", a=node.this, b=node.expression))
    return tree


def second_differences(tree: exp.Expression) -> exp.Expression:
    """``date_diff('second', a, b)`` -> ``unix_seconds(b) - unix_seconds(a)``."""
    for node in list(tree.find_all(exp.DateDiff, exp.TimestampDiff)):
        unit = (node.text("unit") or "").lower()
        if unit not in ("second", "seconds"):
            raise NotPortable(f"date_diff('{unit}', ...): only 'second' ports")
        node.replace(
            exp.Paren(
                this=_spark(
                    "UNIX_SECONDS(CAST(__b__ AS TIMESTAMP)) - UNIX_SECONDS(CAST(__a__ AS TIMESTAMP))",
                    a=node.expression,
                    b=node.this,
                )
            )
        )
    return tree


def _generator(node: exp.Expression) -> exp.Expression | None:
    """The array a projection unnests (under an alias and a cast), else None."""
    inner = node.this if isinstance(node, exp.Alias) else node
    inner = inner.this if isinstance(inner, exp.Cast) else inner
    if isinstance(inner, exp.Explode):
        return inner.this
    if isinstance(inner, exp.Unnest):
        return inner.expressions[0]
    return None


def parallel_unnests(tree: exp.Expression) -> exp.Expression:
    """Two or more ``unnest(...)`` in one SELECT (DuckDB zips them, padding with nulls) ->
    one ``LATERAL VIEW INLINE(ARRAYS_ZIP(...))``: Spark allows one generator per SELECT."""
    for select in list(tree.find_all(exp.Select)):
        unnested = [(i, p) for i, p in enumerate(select.expressions) if _generator(p) is not None]
        if len(unnested) < 2:
            continue
        names = []
        for _, projection in unnested:
            if not isinstance(projection, exp.Alias):
                raise NotPortable("name each unnest of a SELECT (`unnest(x) as name`)")
            names.append(projection.alias)
        view = f"__zip{len(list(tree.find_all(exp.Lateral)))}"
        lateral = sqlglot.parse_one(
            f"select 1 from t lateral view inline(arrays_zip(a)) {view} as "
            + ", ".join(f"__{n}" for n in names),
            read="spark",
        ).args["laterals"][0]
        lateral.this.this.set(
            "expressions", [cast(exp.Expression, _generator(p)).copy() for _, p in unnested]
        )
        select.append("laterals", lateral)
        for (i, projection), name in zip(unnested, names, strict=True):
            value = projection.this
            column = exp.column(f"__{name}", table=view)
            if isinstance(value, exp.Cast):
                value = exp.Cast(this=column, to=value.to.copy())
            else:
                value = column
            select.expressions[i].replace(exp.alias_(value, name))
    return tree


def series_tables(tree: exp.Expression) -> exp.Expression:
    """``FROM range(a, b) AS q(x)`` -> ``UNNEST(range(a, b)) AS q(x)`` (which sqlglot writes
    as a LATERAL VIEW; its own table form is not Spark SQL)."""
    for table in list(tree.find_all(exp.Table)):
        if isinstance(table.this, exp.GenerateSeries):
            alias = table.args.get("alias")
            table.replace(exp.Unnest(expressions=[table.this.copy()], alias=alias and alias.copy()))
    return tree


def qualify_filters(tree: exp.Expression) -> exp.Expression:
    """``SELECT a, b ... QUALIFY cond`` -> ``SELECT a, b FROM (SELECT a, b, cond AS __keep
    ...) WHERE __keep``: sqlglot's rewrite drops columns the condition reads that the SELECT
    does not (``<= p.reference_weeks``). Left to sqlglot when the SELECT has a ``*``."""
    for select in list(tree.find_all(exp.Select)):
        qualify = select.args.get("qualify")
        if qualify is None or any(isinstance(p, exp.Star) or p.is_star for p in select.expressions):
            continue
        names = [p.alias_or_name for p in select.expressions]
        inner = select.copy()
        inner.set("qualify", None)
        inner.append("expressions", exp.alias_(qualify.this.copy(), "__keep"))
        outer = (
            exp.select(*[exp.column(n, table="__q") for n in names])
            .from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("__q"))))
            .where(exp.column("__keep", table="__q"))
        )
        if select is tree:
            tree = outer
        else:
            select.replace(outer)
    return tree


def generators(tree: exp.Expression) -> exp.Expression:
    """``CAST(UNNEST(x) AS t)`` -> ``EXPLODE(CAST(x AS ARRAY<t>))``."""
    for node in list(tree.find_all(exp.Cast)):
        inner = node.this
        if isinstance(inner, exp.Unnest | exp.Explode):
            source = inner.expressions[0] if isinstance(inner, exp.Unnest) else inner.this
            array_type = exp.DataType(
                this=exp.DataType.Type.ARRAY, expressions=[node.to.copy()], nested=True
            )
            node.replace(exp.Explode(this=exp.Cast(this=source.copy(), to=array_type)))
    return tree


def quantiles(tree: exp.Expression) -> exp.Expression:
    """``quantile_cont(x, q)``, ``median(x)`` -> ``percentile(x, q)``."""
    for node in list(tree.find_all(exp.PercentileCont, exp.Quantile, exp.Median)):
        if isinstance(node, exp.Median):
            node.replace(
                exp.Anonymous(
                    this="PERCENTILE", expressions=[node.this.copy(), exp.Literal.number(0.5)]
                )
            )
        else:
            node.replace(
                exp.Anonymous(
                    this="PERCENTILE",
                    expressions=[node.this.copy(), node.expression.copy()],
                )
            )
    return tree


def finite_checks(tree: exp.Expression) -> exp.Expression:
    """``isfinite(x)`` -> ``NOT ISNAN(x) AND ABS(x) <> 'Infinity'`` (Spark has no isfinite)."""
    for node in list(tree.find_all(exp.Anonymous)):
        if str(node.this).lower() != "isfinite":
            continue
        node.replace(
            exp.Paren(
                this=_spark(
                    "NOT ISNAN(__x__) AND ABS(__x__) <> CAST('Infinity' AS DOUBLE)",
                    x=node.expressions[0],
                )
            )
        )
    return tree


def error_calls(tree: exp.Expression) -> exp.Expression:
    """``error(m)`` -> ``raise_error(m)``."""
    for node in list(tree.find_all(exp.Anonymous)):
        if str(node.this).lower() == "error":
            node.set("this", "RAISE_ERROR")
    return tree


# DuckDB's time_bucket origin for intervals under a month: 2000-01-03 00:00:00 UTC, in seconds
TIME_BUCKET_ORIGIN = 946857600
_MICROS = {"second": 1_000_000, "minute": 60_000_000, "hour": 3_600_000_000, "day": 86_400_000_000}


def time_buckets(tree: exp.Expression) -> exp.Expression:
    """``time_bucket(interval n unit, ts)`` (unit second .. day) -> its bucket's start."""
    for node in list(tree.find_all(exp.DateBin)):
        interval = node.this
        unit = (interval.text("unit") or "").lower().rstrip("s")
        if not isinstance(interval, exp.Interval) or unit not in _MICROS:
            raise NotPortable(f"time_bucket({interval.sql('duckdb')}, ...): use seconds .. days")
        width = int(interval.this.name) * _MICROS[unit]
        origin = TIME_BUCKET_ORIGIN * 1_000_000
        node.replace(
            _spark(
                f"TIMESTAMP_MICROS({origin} + FLOOR((UNIX_MICROS(CAST(__ts__ AS TIMESTAMP)) - "
                f"{origin}) / {width}) * {width})",
                ts=node.expression,
            )
        )
    return tree


def materialized_hints(tree: exp.Expression) -> exp.Expression:
    """``AS MATERIALIZED`` CTEs -> plain CTEs."""
    for cte in list(tree.find_all(exp.CTE)):
        cte.set("materialized", None)
    return tree


def _refers_to(node: exp.Expression, alias: str) -> bool:
    return any(c.table == alias for c in node.find_all(exp.Column))


def asof_as_window_join(tree: exp.Expression) -> exp.Expression:
    """Each ``L ASOF [LEFT|INNER] JOIN R ON eq AND l.x >= r.y`` -> a plain join of ``R``
    numbered with the next ``y`` of its key (``LEAD``), on ``l.x >= r.y AND (l.x < next OR
    next IS NULL)``: the same single match, in window SQL both engines run.

    >>> sql = "select l.a, r.b from l asof left join r on r.k = l.k and l.x >= r.y"
    >>> print(asof_as_window_join(sqlglot.parse_one(sql, read="duckdb")).sql("duckdb"))
    SELECT l.a, r.b FROM l LEFT JOIN (SELECT *, LEAD(y) OVER (PARTITION BY k ORDER BY y) AS __asof_next FROM r) AS r ON (r.k = l.k AND l.x >= r.y) AND (l.x < r.__asof_next OR r.__asof_next IS NULL)
    """
    for join in list(tree.find_all(exp.Join)):
        if (join.text("method") or "").upper() != "ASOF":
            continue
        right = join.this
        alias = right.alias_or_name
        conditions = (
            list(join.args["on"].flatten())
            if isinstance(join.args["on"], exp.And)
            else [join.args["on"]]
        )
        keys: list[exp.Expression] = []
        inequality: exp.Binary | None = None
        for cond in conditions:
            if isinstance(cond, exp.EQ):
                side = cond.this if _refers_to(cond.this, alias) else cond.expression
                keys.append(side)
            elif isinstance(cond, exp.GTE | exp.GT | exp.LTE | exp.LT):
                inequality = cond
            else:
                raise NotPortable(f"ASOF join condition {cond.sql('duckdb')}")
        if inequality is None:
            raise NotPortable("ASOF join without an inequality")
        # orient as left_value >= right_value (or >)
        if _refers_to(inequality.this, alias):
            flipped: dict[type, type[exp.Binary]] = {
                exp.GTE: exp.LTE, exp.GT: exp.LT, exp.LTE: exp.GTE, exp.LT: exp.GT
            }  # fmt: skip
            inequality = flipped[type(inequality)](
                this=inequality.expression.copy(), expression=inequality.this.copy()
            )
        if not isinstance(inequality, exp.GTE | exp.GT):
            raise NotPortable("ASOF join must look backwards (left >= right)")
        left_value, right_value = inequality.this, inequality.expression

        def unqualified(node: exp.Expression) -> exp.Expression:
            node = node.copy()
            for column in node.find_all(exp.Column):
                column.set("table", None)
            return node

        window = exp.Window(
            this=exp.Anonymous(this="LEAD", expressions=[unqualified(right_value)]),
            partition_by=[unqualified(k) for k in keys],
            order=exp.Order(expressions=[exp.Ordered(this=unqualified(right_value))]),
        )
        source = right.copy()
        source.set("alias", None)
        numbered = exp.select(exp.Star(), exp.alias_(window, ASOF_NEXT)).from_(source)
        join.set(
            "this", exp.Subquery(this=numbered, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        )
        nxt = exp.column(ASOF_NEXT, table=alias)
        strictly = exp.LT if isinstance(inequality, exp.GTE) else exp.LTE
        bound = exp.Paren(
            this=exp.or_(
                strictly(this=left_value.copy(), expression=nxt),
                exp.Is(this=nxt.copy(), expression=exp.Null()),
            )
        )
        join.set("on", exp.and_(join.args["on"], bound))
        join.set("method", None)
    return tree


def spark_table_names(tree: exp.Expression) -> exp.Expression:
    """``schema.name`` -> ``schema__name``: Spark temporary views have no schema."""
    for table in list(tree.find_all(exp.Table)):
        if table.db and table.db.lower() in SCHEMAS:
            table.set("this", exp.to_identifier(f"{table.db.lower()}__{table.name}"))
            table.set("db", None)
    return tree


# in order: ASOF first (it reads the join tree as written), generators before quantiles
REWRITES = (
    asof_as_window_join,
    qualify_filters,
    series_tables,
    parallel_unnests,
    iso_weekdays,
    double_division,
    hugeint_casts,
    list_lengths,
    ordered_lists,
    json_lists,
    second_differences,
    generators,
    quantiles,
    error_calls,
    finite_checks,
    time_buckets,
    materialized_hints,
    spark_table_names,
)
