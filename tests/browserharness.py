"""A real Streamlit server on a free loopback port and Debian's chromium, for the browser tests.

:func:`streamlit_server` runs ``streamlit run app.py`` with the settings given as environment
variables, waits for its health check and stops it afterwards; :func:`chromium` launches
Debian's chromium through Playwright (never a downloaded browser).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from outcomes.store.snapshot import open_file
from tests.apphelpers import ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def server_settings(
    data: Path, state: Path, demo_dir: Path | None = None, **extra: str
) -> dict[str, str]:
    """The ``OUTCOMES_*`` variables for :func:`streamlit_server`: the snapshot and raw store in
    ``data``, the state store ``state``, the demo CSVs in ``demo_dir`` (``data/demo`` unless
    given), and any ``extra`` ones."""
    return {
        "OUTCOMES_WAREHOUSE_PATH": str(data / "warehouse.duckdb"),
        "OUTCOMES_RAW_PATH": str(data / "raw.duckdb"),
        "OUTCOMES_STATE_PATH": str(state),
        "OUTCOMES_DEMO_DIR": str(demo_dir or data / "demo"),
        **extra,
    }


def last_complete_weeks(warehouse: Path, n: int = 3) -> list[dt.date]:
    """The snapshot's ``n`` latest complete weeks, latest first."""
    con = open_file(warehouse)
    try:
        return [
            r[0]
            for r in con.execute(
                "select week_start from staging.weeks where not is_partial order by 1 desc limit ?",
                [n],
            ).fetchall()
        ]
    finally:
        con.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(
    settings: Mapping[str, str],
    log_path: Path,
    *,
    port: int | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """The app served with ``settings`` (``OUTCOMES_*`` variables) on loopback: its URL."""
    port = port or free_port()
    env = dict(os.environ, **settings)
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.address", "127.0.0.1",
        "--server.port", str(port), "--browser.gatherUsageStats", "false", *extra_args,
    ]  # fmt: skip
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.3)
            else:
                pytest.fail(f"streamlit did not start on {url}; see {log_path}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        "Debian chromium missing: `make test` installs it (apt-get install chromium)"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_settled(page: Any) -> None:
    """Until the page is connected and its script has finished (twice, for late reruns)."""
    page.wait_for_selector(
        "[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=60_000
    )
    for _ in range(2):
        page.wait_for_timeout(300)
        page.wait_for_selector(
            "[data-testid=stApp][data-test-script-state=notRunning]", timeout=90_000
        )
