"""A real browser: `streamlit run app.py` on a free loopback port, driven by Debian's chromium.

Every page is opened; the test waits until the script has finished and every chart's SVG is
drawn, asserts there is no exception or error element, and saves a screenshot of each page
under test-artifacts/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.apphelpers import PAGES, ROOT

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

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_root: Path, tmp_path_factory: pytest.TempPathFactory):
    port = _free_port()
    state = tmp_path_factory.mktemp("browser-state") / "state.sqlite"
    env = dict(
        os.environ,
        OUTCOMES_WAREHOUSE_PATH=str(demo_root / "warehouse.duckdb"),
        OUTCOMES_RAW_PATH=str(demo_root / "raw.duckdb"),
        OUTCOMES_STATE_PATH=str(state),
        OUTCOMES_DEMO_DIR=str(demo_root / "demo"),
        OUTCOMES_DEFAULT_ROLE="analyst",
    )
    log = (tmp_path_factory.mktemp("browser-log") / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        pytest.fail(f"streamlit did not start on {url}; see {log.name}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        "Debian chromium missing: `make test` installs it (apt-get install chromium)"
    )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _wait_settled(page) -> None:
    page.wait_for_selector(
        "[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=60_000
    )
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=90_000)
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=90_000)


def _url_path(page_file: str) -> str:
    return Path(page_file).stem


def test_a_shared_weekly_review_link_opens_that_week_inside_the_app_frame(
    server, browser, demo_root
):
    # first in the module, on purpose: the server is cold (no session has run app.py yet),
    # which is when Streamlit served a pages/ folder without the app frame (app_pages/ is not auto-discovered)
    import duckdb

    con = duckdb.connect(str(demo_root / "warehouse.duckdb"), read_only=True)
    try:
        weeks = [
            r[0]
            for r in con.execute(
                "select week_start from staging.weeks where not is_partial order by 1 desc limit 3"
            ).fetchall()
        ]
    finally:
        con.close()
    shared = weeks[2].isoformat()  # not the default (the last complete week)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/weekly_review?week={shared}", wait_until="domcontentloaded")
    _wait_settled(page)
    picker = page.locator("[data-testid=stSelectbox]").filter(has_text="Week").first
    assert picker.locator("input").input_value() == shared
    nav = page.locator("[data-testid=stSidebarNav]")
    assert nav.count() == 1 and "ROI" in nav.inner_text()  # the app frame, not the bare page
    assert f"week={shared}" in page.url
    page.close()


@pytest.mark.parametrize("page_file", PAGES)
def test_page_renders_in_a_real_browser(server, browser, page_file):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    url = server if page_file == PAGES[0] else f"{server}/{_url_path(page_file)}"
    page.goto(url, wait_until="domcontentloaded")
    _wait_settled(page)
    charts = page.locator("[data-testid=stVegaLiteChart]")
    for i in range(charts.count()):
        charts.nth(i).scroll_into_view_if_needed()
        charts.nth(i).locator("svg.marks").first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / f"{_url_path(page_file)}.png"), full_page=True)
    assert page.locator("[data-testid=stException]").count() == 0, page.locator(
        "[data-testid=stException]"
    ).first.inner_text()
    assert page.locator("[data-testid=stAlertContentError]").count() == 0
    assert not errors, errors
    page.close()
