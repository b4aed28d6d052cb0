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
the family's. A value replaces its placeholder inside one line, as written (``0.50`` stays
``0.50``), and the ``blueprints:`` lines become comments naming the member's blueprint, so a
member's line numbers are the file's and its text is a metric file of its own (what the
workbench shows and the audit pack ships). A placeholder no blueprint fills, a value no
placeholder uses, or a placeholder inside a value is an error (a typo is never a silent
default).

>>> text = '''/* ---
... name: m_@{n}
... blueprints: [{n: a, k: 1}, {n: b, k: 2}]
... --- */
... select @{k} as value'''
>>> [(m.name, m.text.splitlines()[-1]) for m in expand(text)]
[('m_a', 'select 1 as value'), ('m_b', 'select 2 as value')]
>>> expand(text)[1].text.splitlines()[2]
'# blueprint 2 of 2: n: b, k: 2'
>>> blueprints_of("/* ---\\nname: x\\n--- */\\nselect 1") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import yaml

from outcomes.core.headers import HeaderError, split_header

PLACEHOLDER = re.compile(r"@\{([A-Za-z_][A-Za-z0-9_]*)\}")
FIELD = "blueprints"


@dataclass(frozen=True)
class Member:
    """One metric of a family: its name and the file's text with its values in place."""

    name: str
    text: str


@dataclass(frozen=True)
class _Block:
    """The ``blueprints:`` list of a family file and the file lines it stands on."""

    blueprints: list[dict[str, str]]
    first: int  # file line of 'blueprints:'
    last: int  # file line of its last item


def blueprints_of(text: str) -> list[dict[str, str]] | None:
    """The header's ``blueprints`` list, every value a string as written (``0.50`` stays
    ``0.50``); None when the header has none; HeaderError, with the file line, when it is not a
    non-empty list of mappings of names to one-line values."""
    block = _block(text)
    return None if block is None else block.blueprints


def _block(text: str) -> _Block | None:
    if FIELD not in text:  # most files: no YAML parse twice
        return None
    yaml_text, yaml_line, _, _, _ = split_header(text)
    lines = yaml_text.splitlines()
    at = next((i for i, line in enumerate(lines) if line.startswith(f"{FIELD}:")), None)
    if at is None:
        return None
    end = at + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
        end += 1
    while end > at + 1 and not lines[end - 1].strip():
        end -= 1
    first, last = yaml_line + at, yaml_line + end - 1
    for offset, line in enumerate(lines[at:end]):
        if PLACEHOLDER.search(line):
            raise HeaderError(
                "a blueprint value cannot hold a placeholder @{...}; fix: write the value itself",
                first + offset,
            )
    try:
        # BaseLoader: every value the text as written ('0.50', not 0.5; '010', not 8)
        data = yaml.load("\n".join(lines[at:end]), Loader=yaml.BaseLoader)  # noqa: S506
    except yaml.YAMLError:
        return None  # the header parse reports the YAML error, with its line
    found = data.get(FIELD) if isinstance(data, dict) else None
    if not isinstance(found, list) or not found:
        raise HeaderError(
            "blueprints: expected a list of mappings, one per metric; fix: "
            "'- {var: value, ...}' lines under 'blueprints:'",
            first,
        )
    for i, blueprint in enumerate(found, 1):
        if not isinstance(blueprint, dict) or not blueprint:
            raise HeaderError(
                f"blueprint {i}: expected a mapping of names to values, got {blueprint!r}; fix: "
                "write it as {var: value, ...}",
                first,
            )
        for key, value in blueprint.items():
            if not PLACEHOLDER.fullmatch(f"@{{{key}}}"):
                raise HeaderError(
                    f"blueprint {i}: {key!r} cannot name a placeholder; fix: letters, digits "
                    "and _, starting with a letter",
                    first,
                )
            if not isinstance(value, str):
                raise HeaderError(
                    f"blueprint {i}: {key} = {value!r} is not one value; fix: write a text or "
                    "a number",
                    first,
                )
            if len(value.splitlines()) > 1 or any(ord(c) < 32 or c == "\x7f" for c in value):
                raise HeaderError(
                    f"blueprint {i}: {key} must be one line of text; fix: shorten it", first
                )
    return _Block(found, first, last)


def expand(text: str) -> list[Member]:
    """The metrics of a family file, one per blueprint, in the order they are listed;
    HeaderError (with the line) for a placeholder a blueprint leaves unfilled, a value no
    placeholder uses, or a name that does not change from one blueprint to the next.

    In each member's text the ``blueprints:`` lines become YAML comments (as many lines, so
    the member keeps the file's line numbers): the member is then a metric file of its own,
    that loads as one and whose hash changes with its own values only."""
    block = _block(text)
    if block is None:
        raise HeaderError("no 'blueprints:' in the header; a plain metric file is one metric", 1)
    used: dict[str, int] = {}  # placeholder -> the file line it first stands on
    for number, text_line in enumerate(text.splitlines(), 1):
        for var in PLACEHOLDER.findall(text_line):
            used.setdefault(var, number)
    members: list[Member] = []
    total = len(block.blueprints)
    for i, blueprint in enumerate(block.blueprints, 1):
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
                block.first,
            )
        rendered = PLACEHOLDER.sub(_filler(blueprint), _as_comment(text, block, i, total))
        name = _name_of(rendered)
        if not name:
            raise HeaderError(
                f"blueprint {i}: with its values the header is not valid YAML or names no "
                "metric; fix: quote a value that holds ':' or '#'",
                block.first,
            )
        members.append(Member(name, rendered))
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise HeaderError(
            f"blueprints name the same metric twice ({', '.join(names)}); fix: put a "
            "placeholder in 'name:' that every blueprint gives its own value",
            block.first,
        )
    return members


def member_names(text: str) -> list[str]:
    """The names the blueprints of a family file give its metrics, from the ``name:`` line
    alone (so a family broken elsewhere still names what it makes); [] when they cannot be
    told.

    >>> member_names("/* ---\\nname: m_@{n}\\nblueprints: [{n: a}, {n: b, k: 1}]\\n--- */")
    ['m_a', 'm_b']
    """
    try:
        block = _block(text)
    except HeaderError:
        return []
    match = re.search(r"^name:[ \t]*(\S+)[ \t]*$", text, re.MULTILINE)
    if block is None or match is None:
        return []
    template = match.group(1)
    if any(var not in b for b in block.blueprints for var in PLACEHOLDER.findall(template)):
        return []
    names = [PLACEHOLDER.sub(_filler(b), template) for b in block.blueprints]
    ok = len(set(names)) == len(names) and all(n.isidentifier() for n in names)
    return names if ok else []


def member_text(text: str, name: str) -> str | None:
    """The text of metric ``name`` of a family file (None when no blueprint makes it)."""
    try:
        return next((m.text for m in expand(text) if m.name == name), None)
    except HeaderError:
        return None


def is_family(text: str) -> bool:
    """Does this file text list blueprints (a family file)?"""
    try:
        return blueprints_of(text) is not None
    except HeaderError:
        return True  # a broken list is still a family file's


class MetricFile(NamedTuple):
    """Where a metric is defined: the file, the metric's text, and whether the file is a
    family's (its text then the member's, rendered)."""

    path: Path
    text: str
    family: bool


def metric_file(folder: Path, name: str) -> MetricFile | None:
    """The file of metric ``name`` in the metrics folder ``folder`` and the metric's text:
    ``<name>.sql`` (when it is not a family file), else the family file whose blueprints make
    it; None when there is neither.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "fam.sql").write_text(
    ...     "/* ---\\nname: m_@{n}\\nblueprints: [{n: a}, {n: b}]\\n--- */\\nselect 1")
    >>> path, text, family = metric_file(folder, "m_b")
    >>> path.name, text.splitlines()[1], family
    ('fam.sql', 'name: m_b', True)
    >>> metric_file(folder, "m_c") is None, metric_file(folder, "fam") is None
    (True, True)
    """
    own = folder / f"{name}.sql"
    if own.is_file():
        text = own.read_text(encoding="utf-8")
        if not is_family(text):
            return MetricFile(own, text, False)
    for path in sorted(folder.rglob("*.sql")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        member = member_text(text, name) if is_family(text) else None
        if member is not None:
            return MetricFile(path, member, True)
    return None


def definition_bytes(path: Path, name: str) -> bytes:
    """The bytes a build hashed for definition ``name`` of file ``path``: the file's, or, for
    a metric of a family file, its rendered text's (the sha256 a snapshot records); a file
    that is gone (an older snapshot's) is looked for as :func:`metric_file` finds it.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "fam.sql"
    >>> _ = path.write_text("/* ---\\nname: m_@{n}\\nblueprints: [{n: a}]\\n--- */\\nselect 1")
    >>> definition_bytes(path, "m_a").splitlines()[1], definition_bytes(path, "fam")[:6]
    (b'name: m_a', b'/* ---')
    >>> definition_bytes(path.with_name("m_a.sql"), "m_a").splitlines()[1]
    b'name: m_a'
    """
    if not path.is_file():
        found = metric_file(path.parent, name)
        if found is None:
            raise FileNotFoundError(path)
        return found.text.encode("utf-8")
    data = path.read_bytes()
    try:
        member = member_text(data.decode("utf-8"), name) if FIELD.encode() in data else None
    except UnicodeDecodeError:
        member = None
    return data if member is None else member.encode("utf-8")


def _as_comment(text: str, block: _Block, i: int, total: int) -> str:
    """``text`` with the blueprints lines as YAML comments, the first saying which blueprint."""
    lines = text.splitlines(keepends=True)
    blueprint = ", ".join(f"{k}: {v}" for k, v in block.blueprints[i - 1].items())
    for number in range(block.first, block.last + 1):
        end = "\n" if lines[number - 1].endswith("\n") else ""
        note = f"# blueprint {i} of {total}: {blueprint}" if number == block.first else "#"
        lines[number - 1] = note + end
    return "".join(lines)


def _filler(blueprint: dict[str, str]) -> Callable[[re.Match[str]], str]:
    """The replacement of a placeholder by the blueprint's value, as written."""
    return lambda match: blueprint[match.group(1)]


def _name_of(text: str) -> str:
    yaml_text, _, _, _, _ = split_header(text)
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError:
        return ""
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if name is not None else ""
