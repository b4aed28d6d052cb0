"""A contract's types and rules compiled to SQL: how text becomes a typed value, and when a
row breaks a rule (with the reason people read in ``raw.quarantine``).

Conditions read ``v:<col>`` (the trimmed source value, null when blank,
:func:`~outcomes.ingest.scratch_tables.source_value`) and ``<col>`` (the typed value).

>>> from outcomes.core.contracts import CONTRACTS
>>> sorted({rule for _, rule, _, _ in rule_checks(CONTRACTS["users"], datetime(2026, 1, 1))})
['malformed', 'order', 'required', 'type']
"""

from __future__ import annotations

from datetime import datetime

from outcomes.core.contracts import Column, Contract
from outcomes.core.quoting import quote_ident, quote_literal
from outcomes.ingest.scratch_tables import source_value

RECORD_COLUMN = "(record)"  # raw.quarantine.column_name of a fault of the whole record


# Strict forms (DuckDB's casts accept more: zone names ignored, +25:00, 0x10, 0b101, 1_000).
_TIMESTAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
_OFFSET = r"([Zz]|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)"
_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"


def _matches(v: str, pattern: str) -> str:
    return f"regexp_full_match({v}, {quote_literal(pattern)})"


def typed_expr(col: Column) -> str:
    """SQL turning the trimmed text `v:<name>` into the column's type (null if it cannot).

    Only strict forms convert: ISO 8601 timestamps with Z, an offset within -14:00..+14:00 or
    none (UTC); integers in decimal digits (a zero fraction such as ``12.0`` allowed); decimals
    only when no digit would be lost to the column's scale.
    """
    v = source_value(col.name)
    t = col.type
    if t == "VARCHAR":
        return v
    if t == "TIMESTAMP":
        # The plain cast would ignore an offset, the time-zone cast is 3x slower: use it only
        # when the text ends in Z or an offset (the session time zone is UTC).
        return (
            f"case when {_matches(v, _TIMESTAMP)} then try_cast({v} as timestamp) "
            f"when {_matches(v, _TIMESTAMP + _OFFSET)} "
            f"then cast(try_cast({v} as timestamptz) as timestamp) end"
        )
    if t == "DATE":
        return (
            f"case when {_matches(v, '[0-9]{4}-[0-9]{2}-[0-9]{2}')} then try_cast({v} as date) end"
        )
    if t == "BOOLEAN":
        return (
            f"case lower({v}) when 'true' then true when 'false' then false when '1' then true "
            f"when '0' then false when 'yes' then true when 'no' then false end"
        )
    if t == "BIGINT":
        return (
            f"case when {_matches(v, '[+-]?[0-9]+')} then try_cast({v} as bigint) "
            f"when {_matches(v, '[+-]?[0-9]+[.]0*')} "
            f"then try_cast(split_part({v}, '.', 1) as bigint) end"
        )
    if t == "DOUBLE":
        return f"case when {_matches(v, _NUMBER)} then try_cast({v} as double) end"
    scale = int(t[t.index(",") + 1 : -1])
    # Plain notation: the digits past the scale must be zeros; exponent notation: the value
    # must survive the cast unchanged. Otherwise it would be rounded: null, a type failure.
    lossless = (
        f"[+-]?([0-9]+([.][0-9]{{0,{scale}}}0*)?|[0-9]*[.][0-9]{{1,{scale}}}0*)"
        if scale
        else "[+-]?[0-9]+([.]0*)?"
    )
    return (
        f"case when {_matches(v, lossless)} then try_cast({v} as {t}) "
        f"when {_matches(v, _NUMBER)} and try_cast({v} as {t}) = try_cast({v} as double) "
        f"then try_cast({v} as {t}) end"
    )


def _type_words(col: Column) -> str:
    t = col.type
    if t == "TIMESTAMP":
        return (
            "a timestamp; expected ISO 8601 such as '2026-03-02 14:05:00' (UTC), "
            "with ' ' or 'T', optionally ending in Z or an offset from -14:00 to +14:00 "
            "(not a zone name)"
        )
    if t == "DATE":
        return "a date; expected 'YYYY-MM-DD'"
    if t == "BOOLEAN":
        return "a boolean; expected true/false, 1/0 or yes/no"
    if t == "BIGINT":
        return "a whole number; expected decimal digits such as 42"
    if t == "DOUBLE":
        return "a finite number; expected e.g. 0.25"
    precision, scale = (int(x) for x in t[t.index("(") + 1 : -1].split(","))
    return (
        f"a decimal number; expected a number with at most {precision - scale} digits "
        f"before the point and {scale} after it (more would be rounded), e.g. 12.5"
    )


def _found(col: str) -> str:
    """SQL text: the found value of `col`, quoted, at most 200 characters."""
    return f"'''' || left({source_value(col)}, 200) || ''''"


_FIX = " Correct it at the source and send the row again."


def rule_checks(contract: Contract, cutoff: datetime) -> list[tuple[str, str, str, str]]:
    """(column, rule, condition true when the rule fails, reason SQL) for every rule.

    Conditions read `v:<col>` (source value, null when blank) and `<col>` (typed value).
    """
    out: list[tuple[str, str, str, str]] = []

    def add(name: str, rule: str, cond: str, *reason: str) -> None:
        out.append((name, rule, cond, "concat(" + ", ".join(reason) + ")"))

    # A record that could not be read or has a faulty value (wrong field count, invalid JSON,
    # NUL byte, nested value): the reader's words. A record not split into values (`_record`)
    # is not also reported as missing every required value.
    add(RECORD_COLUMN, "malformed", "_fault is not null", "_fault")
    for col in contract.columns:
        c, v, name = quote_ident(col.name), source_value(col.name), col.name
        said = f"'Column \"{name}\" has ', {_found(name)}"
        if col.required:
            add(
                name,
                "required",
                f"{v} is null and _record is null",
                quote_literal(
                    f'Column "{name}" is empty but required; expected a {col.type} value. '
                    "Fill it in at the source and send the row again."
                ),
            )
        if col.type != "VARCHAR":
            bad = f"{c} is null" + (f" or not isfinite({c})" if col.type == "DOUBLE" else "")
            add(
                name,
                "type",
                f"{v} is not null and ({bad})",
                said,
                quote_literal(", which is not " + _type_words(col) + "." + _FIX),
            )
        if col.allowed_values is not None:
            values = ", ".join(quote_literal(a) for a in col.allowed_values)
            add(
                name,
                "allowed_values",
                f"{c} not in ({values})",
                said,
                quote_literal(
                    "; expected one of " + ", ".join(col.allowed_values) + " (case matters)." + _FIX
                ),
            )
        if col.pattern is not None:
            add(
                name,
                "allowed_values",
                f"not regexp_full_match({c}, {quote_literal(col.pattern)})",
                said,
                quote_literal("; expected " + (col.pattern_hint or col.pattern) + "." + _FIX),
            )
        if col.min is not None or col.max is not None:
            conds, words = [], []
            if col.min is not None:
                conds.append(f"{c} < {col.min!r}")
                words.append(f">= {col.min:g}")
            if col.max is not None:
                conds.append(f"{c} > {col.max!r}")
                words.append(f"<= {col.max:g}")
            add(
                name,
                "range",
                " or ".join(conds),
                said,
                quote_literal("; expected a value " + " and ".join(words) + "." + _FIX),
            )
        if col.not_future:
            if col.type == "TIMESTAMP":
                limit = f"timestamp '{cutoff:%Y-%m-%d %H:%M:%S}'"
            else:
                limit = f"date '{cutoff:%Y-%m-%d}'"
            add(
                name,
                "not_future",
                f"{c} > {limit}",
                said,
                "' ('",
                f"cast({c} as varchar)",
                quote_literal(
                    f" UTC), which is in the future; expected no later than "
                    f"{cutoff:%Y-%m-%d %H:%M} UTC (now plus the tolerance). Check the clock and "
                    "time zone of the source and send the row again."
                ),
            )
        if col.after is not None:
            add(
                name,
                "order",
                f"{c} < {quote_ident(col.after)}",
                f"'Column \"{name}\" (', {_found(name)}, ') is before \"{col.after}\" (', "
                f"{_found(col.after)}",
                quote_literal(
                    f"); expected {name} >= {col.after}. Correct one of them at the source and "
                    "send the row again."
                ),
            )
    if contract.one_of:
        present = " + ".join(
            f"cast({source_value(n)} is not null as integer)" for n in contract.one_of
        )
        names = " and ".join(f'"{n}"' for n in contract.one_of)
        add(
            ", ".join(contract.one_of),
            "one_of",
            f"({present}) <> 1 and _record is null",
            quote_literal(f"Columns {names}: "),
            f"case when ({present}) = 0 then 'neither is set' else 'both are set' end",
            quote_literal("; expected exactly one of them. Keep one value and send the row again."),
        )
    return out
