"""Outcomes installs as a package: a wheel, installed outside the clone, runs the demo and the app.

The wheel is built offline from a copy of the clone (no build isolation: the dev extras bring
setuptools) and installed with ``--no-deps`` into a folder of its own; the project's venv
supplies the dependencies. The installed copy must find its SQL, pages and demo register in
``outcomes/bundle`` and write its data under OUTCOMES_HOME, never in the clone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "data", "build", "*.egg-info", "__pycache__", "benchmarks", "test-artifacts"
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    # the wheel is built from the source archive, as `python -m build` does: a file the
    # archive leaves out (MANIFEST.in) breaks the wheel here
    sdist = base / "sdist"
    build_sdist = f"from setuptools import build_meta; build_meta.build_sdist({str(sdist)!r})"
    subprocess.run([sys.executable, "-c", build_sdist], cwd=source, check=True)
    archive = next(sdist.glob("outcomes-*.tar.gz"))
    wheels = base / "wheels"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run([*pip_wheel, "-w", str(wheels), str(archive)], check=True)
    target = base / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            *map(str, wheels.glob("outcomes-*.whl")),
        ],
        check=True,
    )
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTCOMES_", "PYTHONPATH"))}
    env |= {"PYTHONPATH": str(target), "OUTCOMES_HOME": str(home)}
    return {"target": str(target), "home": str(home), "cwd": str(base), **env}


def _run(env: dict[str, str], *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in env.items() if k not in ("target", "home", "cwd")}
    return subprocess.run(
        [sys.executable, *args], env=clean, cwd=env["cwd"], capture_output=True, text=True, **kw
    )


def test_the_installed_package_is_the_one_imported_and_ships_its_files(installed) -> None:
    out = _run(
        installed,
        "-c",
        "import outcomes, outcomes.config as c; print(outcomes.__file__); print(c.SHIPPED_DIR);"
        "print(c.IS_CHECKOUT); print(c.get_settings().sql_dir)",
    )
    assert out.returncode == 0, out.stderr
    package, shipped, is_checkout, sql_dir = out.stdout.split()
    assert package.startswith(installed["target"])
    assert is_checkout == "False"
    assert Path(shipped) == Path(installed["target"]) / "outcomes" / "bundle"
    assert sql_dir == str(Path(shipped) / "sql")
    for name in ("app.py", "app_pages/roi.py", "sql/metrics/hours_saved.sql", "sql/app"):
        assert (Path(shipped) / name).exists(), name


def test_the_installed_cli_runs_the_demo_into_outcomes_home(installed) -> None:
    out = _run(installed, "-m", "outcomes", "demo", "--events", "3000", "--end", "2026-11-18")
    assert out.returncode == 0, out.stdout + out.stderr
    home = Path(installed["home"])
    assert (home / "data" / "warehouse.duckdb").is_file()
    assert not (ROOT / "data" / "demo" / "never-here").exists()


def test_the_installed_app_renders_every_page(installed) -> None:
    # after the demo test (module order): the snapshot exists under OUTCOMES_HOME
    script = textwrap.dedent(
        """
        import sys
        from streamlit.testing.v1 import AppTest
        from outcomes.config import SHIPPED_DIR
        app = str(SHIPPED_DIR / "app.py")
        pages = sorted(p.name for p in (SHIPPED_DIR / "app_pages").glob("*.py"))
        for name in pages:
            at = AppTest.from_file(app, default_timeout=120)
            at.run()
            at.switch_page(f"app_pages/{name}").run()
            assert not at.exception, (name, [e.value for e in at.exception])
            print("ok", name)
        """
    )
    out = _run(installed, "-c", script, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("ok ") == 8  # 8 pages with the portfolio


def test_outcomes_app_serves_the_installed_app(installed) -> None:
    clean = {k: v for k, v in installed.items() if k not in ("target", "home", "cwd")}
    port = "18563"
    proc = subprocess.Popen(
        [sys.executable, "-m", "outcomes", "app", "--port", port],
        env=clean,
        cwd=installed["cwd"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        body = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert body == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
