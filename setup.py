"""Packaging step that pyproject.toml cannot state: ship the app and the SQL with the package.

The app's entry script (app.py), its pages (app_pages/) and the SQL definitions (sql/) sit
at the top of a clone, where people read and edit them. A
built wheel copies them into ``outcomes/bundle/``, so an installed copy runs with no clone:
``outcomes demo`` then ``outcomes app``. ``outcomes.config.SHIPPED_DIR`` finds either place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("app.py", "app_pages", "sql")


class BuildWithBundle(build_py):
    def run(self) -> None:
        super().run()
        bundle = Path(self.build_lib) / "outcomes" / "bundle"
        for name in SHIPPED:
            source = HERE / name
            target = bundle / name
            if source.is_dir():
                shutil.copytree(
                    source,
                    target,
                    dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


setup(cmdclass={"build_py": BuildWithBundle})
