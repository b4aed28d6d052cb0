"""A real browser: `streamlit run app.py` on a free loopback port, driven by Debian's chromium.

Every page is opened; the test waits until the script has finished and every chart's SVG is
drawn, asserts there is no exception or error element, and saves a screenshot of each page
under test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apphelpers import PAGES
from tests.browserharness import (
    ARTIFACTS,
    last_complete_weeks,
    server_settings,
    streamlit_server,
    wait_settled,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(demo_root: Path, tmp_path_factory: pytest.TempPathFactory):
    state = tmp_path_factory.mktemp("browser-state") / "state.sqlite"
    settings = server_settings(demo_root, state)
    log = tmp_path_factory.mktemp("browser-log") / "streamlit.log"
    with streamlit_server(settings, log) as url:
        yield url


def _url_path(page_file: str) -> str:
    return Path(page_file).stem


def test_a_shared_weekly_review_link_opens_that_week_inside_the_app_frame(
    server, browser, demo_root
):
    # first in the module, on purpose: the server is cold (no session has run app.py yet),
    # which is when Streamlit served a pages/ folder without the app frame (app_pages/ is not auto-discovered)
    weeks = last_complete_weeks(demo_root / "warehouse.duckdb")
    shared = weeks[2].isoformat()  # not the default (the last complete week)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/weekly_review?week={shared}", wait_until="domcontentloaded")
    wait_settled(page)
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
    wait_settled(page)
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
