"""Quoting names and text into DuckDB SQL written by the build.

>>> print(quote_ident('a"b'), quote_literal("it's"))
"a""b" 'it''s'
"""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """``name`` as a double-quoted identifier (quotes inside doubled)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """``text`` as a single-quoted string literal (quotes inside doubled)."""
    return "'" + text.replace("'", "''") + "'"
