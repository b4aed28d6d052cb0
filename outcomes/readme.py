"""Sections of the README generated from the code, so they cannot go stale.

``python -m outcomes.readme`` rewrites, in README.md and docs/ARCHITECTURE.md, the sections between ``<!-- NAME:start -->`` and
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


MODULE_ORDER = ("core", "store", "ingest", "build", "roi", "app")
CODE_ROOT = Path(__file__).resolve().parent.parent


def _summary(path: Path) -> str:
    """The first sentence of a module's docstring, on one line."""
    import ast

    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    first = " ".join(doc.split("\n\n", 1)[0].split())
    match = re.match(r"(.+?[.!?])(\s|$)", first)
    sentence = match.group(1) if match else first
    if len(sentence) > 220:  # a long first sentence: its opening is enough for a map
        sentence = sentence[:219].rsplit(" ", 1)[0] + " …"
    return sentence.replace("|", "\\|")


def render_modules() -> str:
    """The module map: one line per module of the package, pages included, layer by layer."""
    package = CODE_ROOT / "outcomes"
    files = [p for p in package.rglob("*.py") if "bundle" not in p.relative_to(package).parts]

    def order(p: Path) -> tuple[int, str]:
        parts = p.relative_to(package).parts
        rank = MODULE_ORDER.index(parts[0]) if parts[0] in MODULE_ORDER else len(MODULE_ORDER)
        return rank, p.as_posix()

    lines = ["| module | what it is |", "|---|---|"]
    for path in sorted(files, key=order):
        if path.name == "__init__.py" and not _summary(path):
            continue
        lines.append(f"| `{path.relative_to(CODE_ROOT).as_posix()}` | {_summary(path)} |")
    for path in [CODE_ROOT / "app.py", *sorted((CODE_ROOT / "app_pages").glob("*.py"))]:
        lines.append(f"| `{path.relative_to(CODE_ROOT).as_posix()}` | {_summary(path)} |")
    return "\n".join(lines)


def render_macros_doc() -> str:
    """``docs/MACROS.md``: every macro a snapshot holds, as the SQL that creates it."""
    from outcomes.core.macros import MACROS

    parts = [
        "# SQL macros",
        "",
        "The macros every snapshot (and every sandbox connection) holds, in creation order, as",
        "the SQL that creates them. Generated from `outcomes/core/macros/` by",
        "`python -m outcomes.readme` (a test fails when this page is stale): read them here,",
        "change them there. In a DuckDB shell opened on a snapshot,",
        "`select function_name, macro_definition from duckdb_functions() where schema_name =",
        "'main'` shows the same.",
    ]
    for m in MACROS:
        reads = ", ".join(f"`{t}`" for t in m.reads) or "nothing"
        parts += [
            "",
            f"## `{m.name}`",
            "",
            f"Reads {reads}.",
            "",
            "```sql",
            f"{m.create_sql()};",
            "```",
        ]
    return "\n".join(parts) + "\n"


MACROS_DOC = PROJECT_ROOT / "docs" / "MACROS.md"


def update_macros_doc(check: bool = False) -> list[str]:
    """Rewrite (or with ``check``, compare) docs/MACROS.md; ``["MACROS.md"]`` when stale."""
    fresh = render_macros_doc()
    if MACROS_DOC.exists() and MACROS_DOC.read_text() == fresh:
        return []
    if not check:
        MACROS_DOC.write_text(fresh)
    return ["MACROS.md"]


SECTIONS = {
    "settings": render_settings,
    "cli": render_cli,
    "metrics": render_metrics,
    "modules": render_modules,
}
GENERATED_DOCS = (PROJECT_ROOT / "README.md", PROJECT_ROOT / "docs" / "ARCHITECTURE.md")


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
    check = "--check" in sys.argv
    stale = [n for doc in GENERATED_DOCS for n in update_readme(doc, check=check)]
    stale += update_macros_doc(check=check)
    if stale:
        print(("out of date: " if "--check" in sys.argv else "updated: ") + ", ".join(stale))
    sys.exit(1 if stale and "--check" in sys.argv else 0)
