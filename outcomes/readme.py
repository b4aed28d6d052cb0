"""Sections of the README generated from the code, so they cannot go stale.

``python -m outcomes.readme`` rewrites the sections between ``<!-- NAME:start -->`` and
``<!-- NAME:end -->`` markers; ``--check`` exits 1 when one is out of date (a test runs it).

>>> "OUTCOMES_TIMEZONE" in render_settings()
True
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from pydantic import BaseModel

from outcomes.config import PROJECT_ROOT, Settings


def _rows(model: type[BaseModel], prefix: str, env_prefix: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows += _rows(annotation, f"{prefix}{name}.", f"{env_prefix}{name.upper()}__")
            continue
        default = field.get_default(call_default_factory=True)
        default_text = getattr(default, "value", default)
        if isinstance(default_text, Path):
            default_text = default_text.as_posix()
        rows.append(
            (
                f"{prefix}{name}",
                f"{env_prefix}{name.upper()}",
                f"`{default_text}`",
                field.description or "",
            )
        )
    return rows


def render_settings() -> str:
    """The configuration table: every setting, its variable, default and meaning."""
    lines = [
        "| setting (outcomes.toml) | environment variable | default | meaning |",
        "|---|---|---|---|",
    ]
    for key, env, default, text in _rows(Settings, "", "OUTCOMES_"):
        lines.append(f"| `{key}` | `{env}` | {default} | {text} |")
    return "\n".join(lines)


def render_cli() -> str:
    """The CLI reference: ``outcomes COMMAND --help`` for every command."""
    from outcomes.cli import build_parser

    parser = build_parser()
    parts = ["```text", parser.format_help().rstrip(), "```"]
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert isinstance(sub, argparse._SubParsersAction)
    for name, child in sub.choices.items():
        parts += ["", f"#### `outcomes {name}`", "", "```text", child.format_help().rstrip(), "```"]
    return "\n".join(parts)


def render_metrics() -> str:
    """The metric list, from the headers of sql/metrics/*.sql."""
    from outcomes.core.headers import MetricHeader
    from outcomes.core.registry import load_registry

    registry = load_registry(PROJECT_ROOT / "sql")
    lines = [
        "| metric | kind | unit | direction | owner | what it is |",
        "|---|---|---|---|---|---|",
    ]
    for d in sorted(registry.by_schema().get("metrics", []), key=lambda d: (d.header.kind, d.name)):
        h = d.header
        assert isinstance(h, MetricHeader)  # the header model of sql/metrics (and sql/roi)
        text = " ".join(h.description.split())
        lines.append(
            f"| `{d.name}` | {h.kind} | {h.unit} | {h.direction} | {h.owner or '**unowned**'} | {text} |"
        )
    return "\n".join(lines)


SECTIONS = {"settings": render_settings, "cli": render_cli, "metrics": render_metrics}


def update_readme(path: Path = PROJECT_ROOT / "README.md", check: bool = False) -> list[str]:
    """Rewrite (or with ``check``, only compare) the generated sections; returns stale names."""
    text = path.read_text()
    stale = []
    for name, render in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(.*?)(<!-- {name}:end -->)", re.S)
        match = pattern.search(text)
        if match is None:
            continue
        fresh = render().replace("\\", "\\\\") + "\n"
        if match.group(2) != render() + "\n":
            stale.append(name)

            def _replace(m: re.Match[str], f: str = fresh) -> str:
                return m.group(1) + f.replace("\\\\", "\\") + m.group(3)

            text = pattern.sub(_replace, text)
    if stale and not check:
        path.write_text(text)
    return stale


if __name__ == "__main__":
    stale = update_readme(check="--check" in sys.argv)
    if stale:
        print(("out of date: " if "--check" in sys.argv else "updated: ") + ", ".join(stale))
    sys.exit(1 if stale and "--check" in sys.argv else 0)
