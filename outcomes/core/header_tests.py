"""A header test (such as ``range(value, 0, 1)``): its name, columns and arguments, parsed.

The build turns each into a query that returns the failing rows
(:func:`outcomes.build.failing_rows.failing_rows_query`).

>>> t = HeaderTest.parse("range(value, 0, 1)")
>>> str(t.test), t.columns, t.args
('range', ('value',), (0, 1))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlglot
from pydantic import BaseModel, ConfigDict, model_validator
from sqlglot import exp


class HeaderTestName(StrEnum):
    not_null = "not_null"
    unique = "unique"
    range = "range"
    accepted_values = "accepted_values"


_TEST_CALL = re.compile(r"^\s*([A-Za-z_]\w*)\s*\((.*)\)\s*$", re.S)


class HeaderTest(BaseModel):
    """One header test, e.g. ``range(value, 0, 1)``: a query that returns the bad rows.

    >>> HeaderTest.parse("accepted_values(flag, ['partial', 'provisional'])").args
    (('partial', 'provisional'),)
    >>> HeaderTest.parse("range(value, 0, null)").text
    'range(value, 0, null)'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    test: HeaderTestName
    columns: tuple[str, ...]
    args: tuple[Any, ...] = ()
    text: str

    @classmethod
    def parse(cls, text: str) -> HeaderTest:
        return cls.model_validate(text)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return _parse_call(value) if isinstance(value, str) else value


def _parse_call(text: str) -> dict[str, Any]:
    """``'range(value, 0, 1)'`` -> the fields of a HeaderTest."""
    match = _TEST_CALL.match(text)
    if not match:
        raise ValueError(
            f"expected a test call like not_null(value), got {text!r}; fix: write "
            "not_null(col), unique(col, ...), range(col, lo, hi) or accepted_values(col, ['a', 'b'])"
            + (
                " (in a [..] flow list YAML splits at commas: use a block list, one '- test' per line)"
                if text.count("(") != text.count(")")
                else ""
            )
        )
    name, inner = match.group(1), match.group(2)
    if name not in HeaderTestName.__members__:
        raise ValueError(
            f"unknown test {name!r}; fix: use one of {', '.join(HeaderTestName.__members__)}"
        )
    try:
        call = sqlglot.parse_one(f"_test({inner})", read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ValueError(f"cannot parse test {text!r}: {exc.errors[0]['description']}") from exc
    if not isinstance(call, exp.Anonymous):
        raise ValueError(f"cannot parse test {text!r}; fix: write name(arguments)")
    values = [_test_argument(arg, text) for arg in call.expressions]
    test = HeaderTestName(name)
    columns: list[str] = []
    for value in values:
        if not isinstance(value, _Column):
            break
        columns.append(value.name)
    args = tuple(values[len(columns) :])
    if not columns:
        raise ValueError(f"test {text!r} names no column; fix: e.g. {name}(value, ...)")
    if any(isinstance(a, _Column) for a in args):
        raise ValueError(f"test {text!r}: columns must come first")
    shape = {
        HeaderTestName.not_null: "not_null(col, ...)",
        HeaderTestName.unique: "unique(col, ...)",
        HeaderTestName.range: "range(col, lo, hi) with numbers or null",
        HeaderTestName.accepted_values: "accepted_values(col, ['a', 'b'])",
    }[test]
    ok = {
        HeaderTestName.not_null: not args,
        HeaderTestName.unique: not args,
        HeaderTestName.range: len(columns) == 1
        and len(args) == 2
        and all(a is None or isinstance(a, int | float) for a in args)
        and args != (None, None),
        HeaderTestName.accepted_values: len(columns) == 1
        and len(args) == 1
        and isinstance(args[0], tuple),
    }[test]
    if not ok:
        raise ValueError(f"test {text!r} has the wrong arguments; expected {shape}")
    return {"test": test, "columns": tuple(columns), "args": args, "text": " ".join(text.split())}


@dataclass(frozen=True)
class _Column:
    name: str


def _test_argument(node: exp.Expression, text: str) -> Any:
    if isinstance(node, exp.Column) and not node.table:
        return _Column(node.name.lower())
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        number = float(node.this)
        return int(number) if number.is_integer() and "." not in node.this else number
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        value = _test_argument(node.this, text)
        return -value
    if isinstance(node, exp.Array):
        return tuple(_test_argument(item, text) for item in node.expressions)
    raise ValueError(f"test {text!r}: unsupported argument {node.sql('duckdb')!r}")
