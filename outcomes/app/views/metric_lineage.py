"""A metric's lineage both ways: what it reads down to the raw tables, and the metrics, ROI
lines and pages that use it.

Which pages use a metric: every ``app_pages/*.py`` file is parsed with :mod:`ast` and a page
counts when one of its string literals is exactly the metric's name (e.g.
``ui.load(warehouse.metric_series, "accuracy")``). Pages that list every metric (overview,
catalog) are not named for each metric: they do not depend on any one of them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from outcomes.config import SHIPPED_DIR
from outcomes.core.registry import Registry

PAGES_DIR = SHIPPED_DIR / "app_pages"
APP_FILE = SHIPPED_DIR / "app.py"


@dataclass(frozen=True)
class Lineage:
    """Where a metric comes from and where it goes (qualified names, sorted)."""

    name: str
    reads: tuple[str, ...]  # tables and views it reads directly (raw.x, staging.x, metrics.x)
    upstream: tuple[str, ...]  # every definition it reads, directly or not
    raw_tables: tuple[str, ...]  # raw tables underneath, directly or not
    metrics: tuple[str, ...]  # metrics that read it, directly or not
    roi_lines: tuple[str, ...]  # ROI lines that read it, directly or not
    pages: tuple[tuple[str, str], ...]  # (page file, page title) naming the metric


def lineage(registry: Registry, name: str, pages_dir: Path | None = None) -> Lineage:
    """Lineage of metric ``name`` both ways; KeyError if there is no such definition.

    >>> import pathlib
    >>> from outcomes.config import BUNDLED_SQL_DIR
    >>> from outcomes.core.registry import load_registry
    >>> reg = load_registry(BUNDLED_SQL_DIR)
    >>> lin = lineage(reg, "accuracy")
    >>> "staging.ai_events" in lin.reads, "raw.feedback" in lin.raw_tables
    (True, True)
    """
    q = registry.resolve(name)
    item = registry.definitions.get(q) or registry.broken[q]
    dependents = registry.dependents(q)
    short = q.split(".", 1)[1]
    return Lineage(
        name=short,
        reads=tuple(sorted(item.reads)),
        upstream=registry.upstream(q),
        raw_tables=registry.raw_tables(q),
        metrics=tuple(sorted(d for d in dependents if d.startswith("metrics."))),
        roi_lines=tuple(sorted(d for d in dependents if d.startswith("roi."))),
        pages=pages_using(short, pages_dir),
    )


def pages_using(name: str, pages_dir: Path | None = None) -> tuple[tuple[str, str], ...]:
    """Pages (file, title) with a string literal equal to ``name``."""
    pages_dir = pages_dir or PAGES_DIR
    titles = page_titles(pages_dir.parent / "app.py")
    found = []
    for path in sorted(pages_dir.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        literals = {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
        if name in literals:
            rel = f"app_pages/{path.name}"
            found.append((rel, titles.get(rel, path.stem)))
    return tuple(found)


def page_titles(app_file: Path | None = None) -> dict[str, str]:
    """``{"app_pages/x.py": "Title"}`` from the ``st.Page(...)`` calls of app.py."""
    app_file = app_file or APP_FILE
    try:
        tree = ast.parse(app_file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return {}
    titles = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                title = next(
                    (
                        k.value.value
                        for k in node.keywords
                        if k.arg == "title" and isinstance(k.value, ast.Constant)
                    ),
                    first.value,
                )
                titles[first.value] = str(title)
    return titles


def _bullets(items: list[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) or empty


def lineage_markdown(lin: Lineage) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What the metric reads and what uses it, as ``(title, Markdown list)`` sections: the
    upstream column and the downstream column of the metric's page.

    >>> up, down = lineage_markdown(Lineage("m", ("staging.x",), (), ("raw.x",), (), (), ()))
    >>> up
    [('Reads (directly)', '- `staging.x`'), ('Raw tables underneath', '- `raw.x`')]
    >>> down[0]
    ('Metrics that use it', 'none')
    """
    upstream = [
        ("Reads (directly)", _bullets([f"`{r}`" for r in lin.reads], "nothing")),
        ("Raw tables underneath", _bullets([f"`{r}`" for r in lin.raw_tables], "none")),
    ]
    if lin.upstream:
        upstream.append(
            ("Every definition upstream", _bullets([f"`{r}`" for r in lin.upstream], ""))
        )
    metrics = [f"[{q}](catalog?metric={q.split('.', 1)[1]})" for q in lin.metrics]
    downstream = [
        ("Metrics that use it", _bullets(metrics, "none")),
        ("ROI lines that use it", _bullets([f"`{q}`" for q in lin.roi_lines], "none")),
        (
            "Pages that name it",
            _bullets(
                [f"{title} (`{path}`)" for path, title in lin.pages],
                "none by name (the overview and this catalog list every metric)",
            ),
        ),
    ]
    return upstream, downstream
