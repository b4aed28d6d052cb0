"""ROI line formulas: arithmetic over named inputs, evaluated exactly with Decimal.

A formula is what an ROI line's header says it computes, e.g.
``hours_saved * loaded_hourly_cost``. Only names, decimal numbers, ``+ - * /`` and
parentheses are allowed, so the same text can be checked by a person, evaluated here,
filled in with the numbers for "show working", and written as a spreadsheet formula.

>>> f = Formula.parse("(baseline_error_rate - error_rate) * volume * cost_per_error")
>>> f.names
('baseline_error_rate', 'error_rate', 'volume', 'cost_per_error')
>>> from decimal import Decimal as D
>>> f.evaluate({"baseline_error_rate": D("0.25"), "error_rate": D("0.1"), "volume": D("1000"),
...             "cost_per_error": D("180")})
Decimal('27000.00')
>>> f.filled({"baseline_error_rate": D("0.25"), "error_rate": D("0.1"), "volume": D("1000"),
...           "cost_per_error": D("180")})
'(0.25 - 0.1) * 1000 * 180'
>>> f.excel({"baseline_error_rate": "B2", "error_rate": "C2", "volume": "D2", "cost_per_error": "E2"})
'(B2-C2)*D2*E2'
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext

from outcomes.errors import OutcomesError

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


class FormulaError(OutcomesError, ValueError):
    """A formula that is not plain arithmetic over names, or cannot be evaluated."""


@dataclass(frozen=True)
class Formula:
    text: str
    tree: ast.expr

    @classmethod
    def parse(cls, text: str) -> Formula:
        try:
            tree = ast.parse(text.strip(), mode="eval").body
        except SyntaxError as exc:
            raise FormulaError(
                f"formula {text!r} is not an arithmetic expression: {exc.msg}"
            ) from exc
        for node in ast.walk(tree):
            allowed = (ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load, ast.USub, *_OPS)
            if not isinstance(node, allowed):
                raise FormulaError(
                    f"formula {text!r}: {type(node).__name__} is not allowed; use names, numbers, "
                    "+ - * / and parentheses"
                )
            if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
                raise FormulaError(f"formula {text!r}: only numbers are allowed as constants")
        return cls(text=text.strip(), tree=tree)

    @property
    def names(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name):
                seen.setdefault(node.id, None)
        # ast.walk is breadth-first: order by position in the text instead
        return tuple(sorted(seen, key=lambda n: _position(self.tree, n)))

    def evaluate(self, values: Mapping[str, Decimal]) -> Decimal:
        """The exact value (Decimal, 38 significant digits for division)."""
        missing = [n for n in self.names if n not in values]
        if missing:
            raise FormulaError(f"formula {self.text!r}: no value for {', '.join(missing)}")
        with localcontext() as ctx:
            ctx.prec = 38
            try:
                return _eval(self.tree, values)
            except (DivisionByZero, InvalidOperation) as exc:
                raise FormulaError(f"formula {self.text!r}: division by zero") from exc

    def filled(self, values: Mapping[str, object]) -> str:
        """The formula with each name replaced by its value."""
        return _render(self.tree, lambda n: str(values[n]), spaced=True)

    def excel(self, cells: Mapping[str, str]) -> str:
        """The formula with names replaced by cell references (no leading '=')."""
        return _render(self.tree, lambda n: cells[n], spaced=False)


def _position(tree: ast.expr, name: str) -> tuple[int, int]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            return (node.lineno, node.col_offset)
    return (0, 0)


def _eval(node: ast.expr, values: Mapping[str, Decimal]) -> Decimal:
    if isinstance(node, ast.Name):
        return Decimal(values[node.id])
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.UnaryOp):
        return -_eval(node.operand, values)
    assert isinstance(node, ast.BinOp)
    left, right = _eval(node.left, values), _eval(node.right, values)
    op = _OPS[type(node.op)]
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        raise DivisionByZero
    return left / right


def _render(node: ast.expr, leaf, spaced: bool, parent: int = 0, right_side: bool = False) -> str:
    if isinstance(node, ast.Name):
        return leaf(node.id)
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.UnaryOp):
        return "-" + _render(node.operand, leaf, spaced, 3)
    assert isinstance(node, ast.BinOp)
    op = _OPS[type(node.op)]
    prec = _PRECEDENCE[op]
    left = _render(node.left, leaf, spaced, prec)
    right = _render(node.right, leaf, spaced, prec, right_side=True)
    text = f"{left} {op} {right}" if spaced else f"{left}{op}{right}"
    needs = prec < parent or (right_side and prec == parent and op in "+-*/" and parent in (1, 2))
    return f"({text})" if needs else text
