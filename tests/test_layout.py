"""The package's layout holds: layers, no cycle, small modules, one Streamlit module.

Read from the source with :mod:`ast` (nothing is imported), so a move that breaks a rule of
docs/ARCHITECTURE.md fails here with the file and the import that breaks it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "outcomes"
MAX_LINES = 500
# a module may import its own layer and the layers below it, never one above
LAYERS = {
    "core": 0,
    "config": 0,
    "errors": 0,
    "store": 1,
    "ingest": 2,
    "build": 2,
    "roi": 2,
    "app": 3,
    "status": 4,
    "readme": 4,
    "cli": 4,
    "commands": 4,
    "demo_pipeline": 4,
    "__main__": 4,
    "__init__": 4,
}
STREAMLIT_GLUE = "outcomes.app.streamlit_glue"
# imports between packages of the same layer that are part of the design: the build writes the
# ROI ledger into the snapshot (outcomes.roi.ledger_build) and loads the assumptions register
SIBLING_EDGES = {("build", "roi")}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1] if len(parts) > 2 else [*parts[:-1], "__init__"]
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a import b`` counts as a.b when that is a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            for a in node.names:
                candidate = f"{node.module}.{a.name}"
                if _is_module(candidate):
                    found.add(candidate)
    return found


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    return LAYERS[module.split(".")[1]]


def test_every_top_level_name_has_a_layer() -> None:
    for module in package_modules():
        assert module.split(".")[1] in LAYERS, f"{module}: add it to a layer in this test"


def test_no_module_imports_a_layer_above_its_own() -> None:
    climbing = []
    for module, path in package_modules().items():
        for target in imports(path):
            if target.startswith("outcomes.") and layer(target) > layer(module):
                climbing.append(f"{path.relative_to(ROOT)} imports {target}")
    assert climbing == []


def test_packages_of_one_layer_import_each_other_only_where_designed() -> None:
    crossing = []
    for module, path in package_modules().items():
        own = module.split(".")[1]
        for target in imports(path):
            if not target.startswith("outcomes.") or target.count(".") < 1:
                continue
            other = target.split(".")[1]
            if (
                other != own
                and other in LAYERS
                and layer(target) == layer(module)
                and LAYERS[own] == 2
                and (own, other) not in SIBLING_EDGES
            ):
                crossing.append(f"{path.relative_to(ROOT)} imports {target}")
    assert crossing == []


def test_views_never_import_build() -> None:
    for module, path in package_modules().items():
        if module.startswith("outcomes.app."):
            bad = [t for t in imports(path) if t.startswith(("outcomes.build", "outcomes.ingest"))]
            assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


def test_there_is_no_import_cycle() -> None:
    graph = {
        m: {t for t in imports(p) if t in package_modules() and t != m}
        for m, p in package_modules().items()
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_no_module_is_over_500_lines() -> None:
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "app_pages").glob("*.py"), ROOT / "app.py"]
    long = {
        str(p.relative_to(ROOT)): n
        for p in files
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_only_the_glue_module_imports_streamlit() -> None:
    importers = [
        m
        for m, p in package_modules().items()
        if any(t == "streamlit" or t.startswith("streamlit.") for t in imports(p))
    ]
    assert importers == [STREAMLIT_GLUE]


def test_pages_import_only_outcomes_app() -> None:
    for path in sorted((ROOT / "app_pages").glob("*.py")):
        ours = [t for t in imports(path) if t.startswith("outcomes")]
        bad = [t for t in ours if not t.startswith("outcomes.app")]
        assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


def test_pages_hold_no_sql() -> None:
    for path in sorted((ROOT / "app_pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.lower()
                assert not ("select " in text and " from " in text), (
                    f"{path.relative_to(ROOT)}:{node.lineno}: SQL belongs in sql/app/"
                )


def test_the_layer_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from outcomes.app import charts\nimport outcomes.core.money\n")
    assert imports(bad) >= {"outcomes.app", "outcomes.app.charts", "outcomes.core.money"}
    assert layer("outcomes.app.charts") > layer("outcomes.core.headers")


def test_every_error_class_descends_from_outcomes_error() -> None:
    import importlib
    import inspect

    from outcomes.errors import OutcomesError

    strays = []
    for module in package_modules():
        if module.endswith("__main__") or module == STREAMLIT_GLUE:
            continue
        mod = importlib.import_module(module.removesuffix(".__init__"))
        for name, obj in vars(mod).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == mod.__name__
                and not issubclass(obj, OutcomesError)
            ):
                strays.append(f"{module}.{name}")
    assert strays == []


def test_the_public_api_resolves_to_the_named_modules() -> None:
    import outcomes

    for name in outcomes.__all__:
        obj = getattr(outcomes, name)
        assert obj.__module__ == outcomes._API[name], name
    with __import__("pytest").raises(AttributeError):
        _ = outcomes.no_such_name
