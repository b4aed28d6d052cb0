"""Blueprints: one metric file that defines a family of metrics, as SQLMesh's model blueprints.

A metric file whose header lists ``blueprints:`` (one mapping of values per metric) defines one
metric per blueprint: the file's text with each ``@{var}`` replaced by that blueprint's value.
The latency percentiles are one query at three quantiles, so they are one file::

    name: latency_p@{pct}
    thresholds: {warn: @{warn}, alert: @{alert}}
    blueprints:
      - {pct: 50, q: 0.50, warn: 2000, alert: 3000}
      - {pct: 95, q: 0.95, warn: 4000, alert: 6000}
    ...
    from weekly_quantile('events', @{q})

Each member is then an ordinary metric (its own name, header, SQL text and hash) whose file is
the family's; a value replaces its placeholder inside one line, so a member's line numbers are
the file's. A placeholder no blueprint fills, or a value no placeholder uses, is an error (a
typo is never a silent default).

>>> text = '''/* ---
... name: m_@{n}
... blueprints: [{n: a, k: 1}, {n: b, k: 2}]
... --- */
... select @{k} as value'''
>>> [(m.name, m.text.splitlines()[-1]) for m in expand(text)]
[('m_a', 'select 1 as value'), ('m_b', 'select 2 as value')]
>>> blueprints_of("/* ---\\nname: x\\n--- */\\nselect 1") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from outcomes.core.headers import HeaderError, split_header

PLACEHOLDER = re.compile(r"@\{([A-Za-z_][A-Za-z0-9_]*)\}")
FIELD = "blueprints"


@dataclass(frozen=True)
class Member:
    """One metric of a family: its name and the file's text with its values in place."""

    name: str
    text: str


def blueprints_of(text: str) -> list[dict[str, Any]] | None:
    """The header's ``blueprints`` list (None when the header has none); HeaderError, with the
    file line, when it is not a non-empty list of mappings of names to single-line values."""
    if FIELD not in text:  # most files: no YAML parse twice
        return None
    yaml_text, yaml_line, _, _, header_line = split_header(text)
    try:
        data = yaml.safe_load(PLACEHOLDER.sub("x", yaml_text))
    except yaml.YAMLError:
        return None  # the header parse reports the YAML error, with its line
    if not isinstance(data, dict) or FIELD not in data:
        return None
    line = _line_of_field(yaml_text, yaml_line) or header_line
    found = data[FIELD]
    if not isinstance(found, list) or not found:
        raise HeaderError(
            "blueprints: expected a list of mappings, one per metric; fix: "
            "'- {var: value, ...}' lines under 'blueprints:'",
            line,
        )
    for i, blueprint in enumerate(found, 1):
        if not isinstance(blueprint, dict) or not blueprint:
            raise HeaderError(
                f"blueprint {i}: expected a mapping of names to values, got {blueprint!r}; fix: "
                "write it as {var: value, ...}",
                line,
            )
        for key, value in blueprint.items():
            if not isinstance(key, str) or not PLACEHOLDER.fullmatch(f"@{{{key}}}"):
                raise HeaderError(
                    f"blueprint {i}: {key!r} cannot name a placeholder; fix: letters, digits "
                    "and _, starting with a letter",
                    line,
                )
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise HeaderError(
                    f"blueprint {i}: {key} = {value!r} is not a text or a number; fix: "
                    "write a single value",
                    line,
                )
            if "\n" in str(value) or "@{" in str(value):
                raise HeaderError(
                    f"blueprint {i}: {key} must be one line without '@{{'; fix: shorten it",
                    line,
                )
    return found


def expand(text: str) -> list[Member]:
    """The metrics of a family file, one per blueprint, in the order they are listed;
    HeaderError (with the line) for a placeholder a blueprint leaves unfilled, a value no
    placeholder uses, or a name that does not change from one blueprint to the next."""
    found = blueprints_of(text)
    if found is None:
        raise HeaderError("no 'blueprints:' in the header; a plain metric file is one metric", 1)
    used: dict[str, int] = {}  # placeholder -> the file line it first stands on
    for number, text_line in enumerate(text.splitlines(), 1):
        for var in PLACEHOLDER.findall(text_line):
            used.setdefault(var, number)
    members: list[Member] = []
    for i, blueprint in enumerate(found, 1):
        for var, first in used.items():
            if var not in blueprint:
                raise HeaderError(
                    f"blueprint {i} has no value for @{{{var}}}; fix: add '{var}: ...' to it",
                    first,
                )
        unused = sorted(set(blueprint) - set(used))
        if unused:
            raise HeaderError(
                f"blueprint {i}: {', '.join(unused)} is used by no @{{...}} in the file; fix: "
                "remove it or use it",
                None,
            )
        rendered = PLACEHOLDER.sub(_filler(blueprint), text)
        members.append(Member(_name_of(rendered), rendered))
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise HeaderError(
            f"blueprints name the same metric twice ({', '.join(names)}); fix: put a "
            "placeholder in 'name:' that every blueprint gives its own value",
            None,
        )
    return members


def member_text(text: str, name: str) -> str | None:
    """The text of metric ``name`` of a family file (None when no blueprint makes it)."""
    try:
        return next((m.text for m in expand(text) if m.name == name), None)
    except HeaderError:
        return None


def metric_file(folder: Path, name: str) -> tuple[Path, str] | None:
    """The file of metric ``name`` in the metrics folder ``folder`` and the metric's text:
    ``<name>.sql``, else the family file whose blueprints make it; None when there is neither.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "fam.sql").write_text(
    ...     "/* ---\\nname: m_@{n}\\nblueprints: [{n: a}, {n: b}]\\n--- */\\nselect 1")
    >>> path, text = metric_file(folder, "m_b")
    >>> path.name, text.splitlines()[1]
    ('fam.sql', 'name: m_b')
    >>> metric_file(folder, "m_c") is None
    True
    """
    own = folder / f"{name}.sql"
    if own.is_file():
        return own, own.read_text(encoding="utf-8")
    for path in sorted(folder.rglob("*.sql")):
        try:
            text = path.read_text(encoding="utf-8")
            found = blueprints_of(text)
        except (OSError, UnicodeDecodeError, HeaderError):
            continue
        member = member_text(text, name) if found is not None else None
        if member is not None:
            return path, member
    return None


def definition_bytes(path: Path, name: str) -> bytes:
    """The bytes a build hashed for definition ``name`` of file ``path``: the file's, or, for
    a metric of a family file, its rendered text's (the sha256 a snapshot records).

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "fam.sql"
    >>> _ = path.write_text("/* ---\\nname: m_@{n}\\nblueprints: [{n: a}]\\n--- */\\nselect 1")
    >>> definition_bytes(path, "m_a").splitlines()[1], definition_bytes(path, "fam")[:6]
    (b'name: m_a', b'/* ---')
    """
    data = path.read_bytes()
    try:
        member = member_text(data.decode("utf-8"), name) if FIELD.encode() in data else None
    except (UnicodeDecodeError, HeaderError):
        member = None
    return data if member is None else member.encode("utf-8")


def _filler(blueprint: dict[str, Any]) -> Callable[[re.Match[str]], str]:
    """The replacement of a placeholder by the blueprint's value, as written."""
    return lambda match: str(blueprint[match.group(1)])


def _name_of(text: str) -> str:
    yaml_text, yaml_line, _, _, _ = split_header(text)
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError:
        return ""  # the header parse reports the YAML error, with its line
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if name is not None else ""


def _line_of_field(yaml_text: str, first_line: int) -> int | None:
    for offset, line in enumerate(yaml_text.splitlines()):
        if line.startswith(f"{FIELD}:"):
            return first_line + offset
    return None
