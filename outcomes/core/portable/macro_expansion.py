"""Inline the DuckDB macros a definition calls: Spark has no macros.

Every macro of :mod:`outcomes.core.macros` and the calendar macros of
:mod:`outcomes.store.sqlfunctions` (``local_ts``, ``week_of_date``, ``week_of``) are replaced
by their bodies, parameters by the arguments of the call; ``setting('key')`` becomes the
setting's value as a literal (a build's settings are known before its SQL runs), and
``query_table('name')`` the table it names. A table macro in a FROM clause becomes a subquery
aliased as the call was. The result is plain DuckDB SQL that needs no macro:

>>> sql = "select partial_flag(week_start) as flag from staging.x"
>>> print(expand_macros(sql, {"as_of": "2026-01-01"}))
SELECT (CASE WHEN week_start IN (SELECT w.week_start FROM staging.weeks AS w WHERE w.is_partial) THEN 'partial' END) AS flag FROM staging.x
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import sqlglot
from sqlglot import exp

from outcomes.core.macros import MACROS
from outcomes.errors import OutcomesError

DIALECT = "duckdb"

# Bodies that differ from the DuckDB macro's text but compute the same thing in both engines:
# partial_flag's correlated scalar subquery (Spark rejects it, and an inlined unqualified
# argument would bind inside it) becomes an uncorrelated IN.
PORTABLE_BODIES = {
    "partial_flag": """case when week in (
    select w.week_start from query_table(calendar) as w where w.is_partial
) then 'partial' end""",
}


class MacroExpansionError(OutcomesError):
    """A macro call that cannot be inlined (an unknown setting, a non-literal table name)."""


@dataclass(frozen=True)
class InlineMacro:
    """A macro ready to inline: parameters (name, default or None), body text, kind."""

    name: str
    parameters: tuple[tuple[str, exp.Expression | None], ...]
    body: str
    table: bool

    def parsed_body(self) -> exp.Expression:
        """The body as a sqlglot tree (a query for a table macro, else an expression)."""
        if self.table:
            return cast(exp.Expression, sqlglot.parse_one(self.body, read=DIALECT))
        select = sqlglot.parse_one(f"select {self.body}", read=DIALECT)
        assert isinstance(select, exp.Select)
        return select.expressions[0]


def _parameters(text: str) -> tuple[tuple[str, exp.Expression | None], ...]:
    params: list[tuple[str, exp.Expression | None]] = []
    for part in (p.strip() for p in text.split(",")):
        if ":=" in part:
            name, default = (s.strip() for s in part.split(":=", 1))
            params.append(
                (name.lower(), cast(exp.Expression, sqlglot.parse_one(default, read=DIALECT)))
            )
        elif part:
            params.append((part.lower(), None))
    return tuple(params)


def inline_macros(timezone: str, week_start: int) -> dict[str, InlineMacro]:
    """Every macro by name: the calendar macros of a build with ``timezone`` and
    ``week_start``, then the shared ones (:data:`outcomes.core.macros.MACROS`).

    >>> sorted(inline_macros("UTC", 1))[:4]
    ['assumption_at', 'assumption_for', 'assumption_for_high', 'assumption_for_low']
    """
    tz = "'" + timezone.replace("'", "''") + "'"
    macros = {
        "local_ts": InlineMacro(
            "local_ts",
            (("ts", None),),
            f"(ts::timestamp at time zone 'UTC') at time zone {tz}",
            False,
        ),
        "week_of_date": InlineMacro(
            "week_of_date",
            (("d", None),),
            f"d::date - ((isodow(d::date) - {int(week_start)} + 7) % 7)::integer",
            False,
        ),
        "week_of": InlineMacro(
            "week_of", (("ts", None),), "week_of_date(local_ts(ts)::date)", False
        ),
    }
    for m in MACROS:
        body = PORTABLE_BODIES.get(m.name, m.body)
        macros[m.name] = InlineMacro(m.name, _parameters(m.parameters), body, m.table)
    return macros


def _call_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return None


def _bind(macro: InlineMacro, call: exp.Anonymous) -> dict[str, exp.Expression]:
    bound: dict[str, exp.Expression] = {}
    positional = [a for a in call.expressions if not isinstance(a, exp.PropertyEQ | exp.Kwarg)]
    names = [p for p, _ in macro.parameters]
    if len(positional) > len(names):
        raise MacroExpansionError(f"{macro.name}: too many arguments in {call.sql(DIALECT)}")
    for name, arg in zip(names, positional, strict=False):
        bound[name] = arg
    for arg in call.expressions:
        if isinstance(arg, exp.PropertyEQ | exp.Kwarg):
            bound[arg.this.name.lower()] = arg.expression
    for name, default in macro.parameters:
        if name not in bound:
            if default is None:
                raise MacroExpansionError(f"{macro.name}: no value for {name}")
            bound[name] = default
    return bound


def _rename_ctes(body: exp.Expression, prefix: str) -> exp.Expression:
    """The body's CTEs renamed ``<prefix>__<name>``: Spark hoists nested CTEs into one WITH,
    where two inlined copies of a macro would clash."""
    with_ = body.args.get("with_") or body.args.get("with")
    if not isinstance(with_, exp.With):
        return body
    names = {cte.alias_or_name.lower() for cte in with_.expressions}
    for cte in with_.expressions:
        cte.set("alias", exp.TableAlias(this=exp.to_identifier(f"{prefix}__{cte.alias_or_name}")))
    for table in body.find_all(exp.Table):
        if isinstance(table.this, exp.Anonymous):  # a macro given one of these CTEs by name
            for arg in table.this.expressions:
                if isinstance(arg, exp.Literal) and arg.is_string and arg.this.lower() in names:
                    arg.replace(exp.Literal.string(f"{prefix}__{arg.this}"))
            continue
        if not table.db and isinstance(table.this, exp.Identifier) and table.name.lower() in names:
            alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name))
            table.set("this", exp.to_identifier(f"{prefix}__{table.name}"))
            table.set("alias", alias)
    return body


def _fold_text(node: exp.Expression) -> str | None:
    """The text of a literal or a ``||`` of literals, else None."""
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    if isinstance(node, exp.Paren):
        return _fold_text(node.this)
    if isinstance(node, exp.DPipe):
        left, right = _fold_text(node.this), _fold_text(node.expression)
        return None if left is None or right is None else left + right
    return None


def _substitute(body: exp.Expression, bound: dict[str, exp.Expression]) -> exp.Expression:
    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name.lower() in bound:
            arg = bound[node.name.lower()].copy()
            simple = isinstance(arg, exp.Column | exp.Literal | exp.Paren | exp.Null)
            return arg if simple else exp.Paren(this=arg)
        return node

    return body.transform(replace)


def _table_names(tree: exp.Expression) -> exp.Expression:
    """``query_table('schema.name')`` -> the table it names (keeping the alias)."""
    for table in list(tree.find_all(exp.Table)):
        if _call_name(table.this) != "query_table":
            continue
        text = _fold_text(table.this.expressions[0])
        if text is None:
            raise MacroExpansionError(
                f"query_table needs a literal table name: {table.sql(DIALECT)}"
            )
        named = exp.to_table(text, dialect=DIALECT)
        if table.args.get("alias"):
            named.set("alias", table.args["alias"].copy())
        table.replace(named)
    return tree


def _settings(tree: exp.Expression, settings: Mapping[str, str]) -> exp.Expression:
    for call in list(tree.find_all(exp.Anonymous)):
        if _call_name(call) != "setting":
            continue
        key = _fold_text(call.expressions[0]) if call.expressions else None
        if key is None or key not in settings:
            raise MacroExpansionError(f"unknown setting in {call.sql(DIALECT)}")
        call.replace(exp.Literal.string(settings[key]))
    return tree


def expand_tree(
    tree: exp.Expression,
    settings: Mapping[str, str],
    macros: Mapping[str, InlineMacro] | None = None,
) -> exp.Expression:
    """``tree`` (parsed DuckDB SQL) with every macro call inlined, until none is left."""
    macros = (
        macros
        if macros is not None
        else inline_macros(settings.get("timezone", "UTC"), int(settings.get("week_start", "1")))
    )
    tree = tree.copy()
    inlined = 0
    for _ in range(50):  # macros call macros: a few rounds at most
        changed = False
        for table in list(tree.find_all(exp.Table)):
            name = _call_name(table.this) or ""
            if name in macros and macros[name].table:
                macro = macros[name]
                inlined += 1
                body = _rename_ctes(macro.parsed_body(), f"{name}_{inlined}")
                body = _substitute(body, _bind(macro, table.this))
                alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(name))
                table.replace(exp.Subquery(this=body, alias=alias.copy()))
                changed = True
        for call in list(tree.find_all(exp.Anonymous)):
            name = _call_name(call) or ""
            if name in macros and not macros[name].table:
                macro = macros[name]
                body = _substitute(macro.parsed_body(), _bind(macro, call))
                call.replace(body if isinstance(body, exp.Paren) else exp.Paren(this=body))
                changed = True
        tree = _settings(_table_names(tree), settings)
        if not changed:
            return tree
    raise MacroExpansionError("macro expansion did not terminate (a macro calls itself?)")


def expand_macros(sql: str, settings: Mapping[str, str]) -> str:
    """DuckDB ``sql`` with its macro calls inlined (see the module docstring)."""
    tree = cast(exp.Expression, sqlglot.parse_one(sql, read=DIALECT))
    return expand_tree(tree, settings).sql(DIALECT)
