"""Validating a metric draft with the rules of ``outcomes validate``, without touching ``sql/``.

The SQL folder is copied to a temporary folder with the draft in place and loaded with
:func:`outcomes.core.registry.load_registry`, so header, single SELECT, output columns,
dependencies and cycles are judged by the same code; errors carry the draft's line. Then the
SELECT is bound (``DESCRIBE``: names and types resolved, nothing run) against the current
snapshot, so a misspelled column or table fails Validate with the binder's message on its
line, as it would fail the build.

>>> import tempfile, pathlib, shutil
>>> from outcomes.app.views.workbench import template
>>> from outcomes.config import PROJECT_ROOT
>>> d = pathlib.Path(tempfile.mkdtemp()) / "sql"
>>> _ = shutil.copytree(PROJECT_ROOT / "sql", d)
>>> validate_draft(template("my_metric"), "my_metric", Settings(sql_dir=d)).ok
True
>>> errors = validate_draft("select 1", "my_metric", Settings(sql_dir=d)).errors
>>> errors[0].line, "YAML header" in errors[0].message
(1, True)
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from outcomes.app.views.metric_detail import is_metric_name
from outcomes.app.views.workbench import draft_body, family_refusal
from outcomes.config import Settings
from outcomes.core.blueprints import is_family
from outcomes.core.definition import SqlDefinition
from outcomes.core.registry import RegistryError, load_registry
from outcomes.store.sandbox_statement import SandboxRefusal, check_single_select
from outcomes.store.snapshot import SnapshotMissing, open_snapshot


@dataclass(frozen=True)
class DraftProblem:
    """One problem; ``line`` is a line of the draft (None when it concerns the whole file or
    ``file`` is another definition that the draft breaks)."""

    line: int | None
    message: str
    file: str | None = None  # another file's path relative to sql_dir, when not the draft

    def __str__(self) -> str:
        where = f"{self.file}:" if self.file else ""
        return f"{where}line {self.line}: {self.message}" if self.line else f"{where}{self.message}"


@dataclass(frozen=True)
class Validation:
    ok: bool
    errors: tuple[DraftProblem, ...]
    definition: SqlDefinition | None  # the checked draft (paths point to a removed temp folder)
    bound: bool = False  # True: the SELECT was bound against the current snapshot

    def errors_on_line(self) -> dict[int, list[str]]:
        """``{line: [messages]}`` for the draft's own errors that have a line."""
        out: dict[int, list[str]] = {}
        for e in self.errors:
            if e.line and not e.file:
                out.setdefault(e.line, []).append(e.message)
        return out


def validate_draft(text: str, name: str, settings: Settings) -> Validation:
    """Check ``text`` as ``sql/metrics/<name>.sql`` with the rules of ``outcomes validate``.

    Problems in other files are reported only when the draft causes them (they were not
    there before): a dependency cycle, a dependent that reads a column... by name.
    """
    if not is_metric_name(name):
        return Validation(
            False,
            (
                DraftProblem(
                    None,
                    f"{name!r} cannot name a metric file; fix: a lowercase identifier "
                    "(a-z, 0-9, _), starting with a letter",
                ),
            ),
            None,
        )
    refusal = family_refusal(settings, name)
    if refusal is None and is_family(text):
        refusal = "the workbench saves one-metric files; write a family file (blueprints) as a file"
    if refusal is not None:  # its file would be a second definition of the same name
        return Validation(False, (DraftProblem(None, refusal),), None)
    source = Path(settings.sql_dir)
    with tempfile.TemporaryDirectory(prefix="outcomes-draft-") as tmp:
        root = Path(tmp) / "sql"
        if source.is_dir():
            shutil.copytree(source, root, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        (root / "metrics").mkdir(parents=True, exist_ok=True)
        draft_path = root / "metrics" / f"{name}.sql"
        before = _error_texts(root, exclude=draft_path)
        draft_path.write_text(text, encoding="utf-8")
        try:
            registry = load_registry(root, strict=False)
        except RegistryError as exc:  # the folder itself is unusable
            return Validation(
                False, tuple(DraftProblem(e.line, e.message) for e in exc.errors), None
            )
        errors: list[DraftProblem] = []
        for e in registry.errors:
            if e.path == draft_path:
                errors.append(DraftProblem(e.line, e.message))
            elif (str(e.path.relative_to(root)), e.line, e.message) not in before:
                errors.append(DraftProblem(e.line, e.message, str(e.path.relative_to(root))))
        definition = registry.definitions.get(f"metrics.{name}")
    if errors:
        return Validation(False, tuple(errors), None)
    bound, problem = bind_draft(text, settings)
    if problem is not None:
        return Validation(False, (problem,), None)
    return Validation(True, (), definition, bound)


def bind_draft(text: str, settings: Settings) -> tuple[bool, DraftProblem | None]:
    """Bind the draft's SELECT against the current snapshot without running it: ``(bound,
    problem)``; ``(False, None)`` when there is no snapshot to bind against yet."""
    body, body_line = draft_body(text)
    try:
        statement = check_single_select(body)
    except SandboxRefusal as refusal:
        return False, DraftProblem(None, f"refused: {refusal.reason}")
    if not Path(settings.warehouse_path).exists():
        return False, None
    try:
        con = open_snapshot(settings)
    except (duckdb.Error, SnapshotMissing):
        return False, None
    try:
        con.execute("describe " + statement)
    except duckdb.Error as exc:
        # the checked statement starts after the body's leading blank lines
        skipped = body[: len(body) - len(body.lstrip())].count("\n")
        return True, binder_problem(str(exc), body_line + skipped)
    finally:
        con.close()
    return True, None


def binder_problem(message: str, body_line: int) -> DraftProblem:
    """The binder's message on the draft's line (DuckDB's ``LINE n`` counts from the body).

    >>> print(binder_problem('Binder Error: column "x" not found\\n\\nLINE 2: select x', 3))
    line 4: Binder Error: column "x" not found; fix the name (the snapshot's tables and columns are in the schema browser)
    """
    found = re.search(r"LINE (\d+):", message)
    line = body_line + int(found[1]) - 1 if found else None
    first = message.strip().splitlines()[0] if message.strip() else "the SQL does not bind"
    return DraftProblem(
        line,
        f"{first}; fix the name (the snapshot's tables and columns are in the schema browser)",
    )


def _error_texts(root: Path, exclude: Path) -> set[tuple[str, int | None, str]]:
    """Errors already present in ``root`` (without the draft file), to tell them apart."""
    had = exclude.read_bytes() if exclude.exists() else None
    if had is not None:
        exclude.unlink()
    try:
        registry = load_registry(root, strict=False)
    except RegistryError:
        return set()
    finally:
        if had is not None:
            exclude.write_bytes(had)
    return {(str(e.path.relative_to(root)), e.line, e.message) for e in registry.errors}
