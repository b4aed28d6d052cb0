"""CSV cells a spreadsheet cannot run: formula injection neutralised, as OWASP advises.

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula (or
becomes one) when finance opens the CSV in a spreadsheet: ``=HYPERLINK(...)`` typed into a note
or a source file would run there. Every CSV Outcomes writes passes its cells through
:func:`safe_cell`, which puts a single quote in front of such a cell. A cell that already begins
with a quote gets one too, so :func:`restore_cell` (what ``outcomes roi verify`` reads the pack
with) removes exactly one and gives back the original text.

Numbers stay numbers: a cell that is a plain decimal number (``-12.50``, ``1e-05``) is never a
formula and is left as is, so the numeric columns (``amount``, ``amount_display``, ``value``,
``numerator``, ``denominator``, ``old_value``, an input's ``value``) keep their minus signs.

>>> [safe_cell(v) for v in ["=1+1", "-12.50", "+33 6", "@SUM(A1)", "'quoted", "plain", 3]]
["'=1+1", '-12.50', "'+33 6", "'@SUM(A1)", "''quoted", 'plain', '3']
>>> restore_cell(safe_cell("=HYPERLINK(1)")), restore_cell(safe_cell("'x")), restore_cell("-1")
('=HYPERLINK(1)', "'x", '-1')
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> str:
    """``value`` as CSV cell text a spreadsheet shows as text (None is an empty cell)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS + ("'",)) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore_cell(text: str) -> str:
    """The original text of a cell :func:`safe_cell` wrote."""
    return text[1:] if text.startswith("'") else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV, LF line ends, every cell through :func:`safe_cell`.

    >>> csv_bytes(["a", "b"], [["=cmd()", -1.5]])
    b"a,b\\n'=cmd(),-1.5\\n"
    """
    return csv_text(header, rows).encode("utf-8")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """:func:`csv_bytes` as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # with LF line ends the csv module leaves a lone CR unquoted, which splits the row when
    # read back: a row holding one is written with every cell quoted
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        cells = [safe_cell(v) for v in row]
        (quoted if any("\r" in c for c in cells) else writer).writerow(cells)
    return buffer.getvalue()


def read_records(text: str) -> list[dict[str, str]]:
    """The rows of a CSV :func:`csv_bytes` wrote, as dicts of the original texts.

    >>> read_records("a\\n'=1\\n")
    [{'a': '=1'}]
    """
    return [
        {k: restore_cell(v) if isinstance(v, str) else v for k, v in row.items()}
        for row in csv.DictReader(io.StringIO(text))
    ]
