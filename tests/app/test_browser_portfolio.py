"""The executive's portfolio in a real browser (issue 15): the default page lists every AI
system with its readiness, one system drills into its ROI page with ``?system=`` in the URL,
and the filter stays in the URL through a reload and a page switch.

`streamlit run app.py` on a free loopback port over the demo (three systems), driven by
Debian's chromium; screenshots are saved under test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from outcomes.app.demo_reviews import seed_demo_reviews
from outcomes.store.snapshot import open_snapshot
from outcomes.store.state import StateStore
from tests.browserharness import ARTIFACTS, server_settings, streamlit_server, wait_settled

pytestmark = pytest.mark.browser
SYSTEMS = ("contract-summariser", "invoice-matcher", "ticket-assistant")
DRILL = "invoice-matcher"


@pytest.fixture(scope="module")
def portfolio_server(demo_root: Path, demo_settings, tmp_path_factory: pytest.TempPathFactory):
    state = tmp_path_factory.mktemp("portfolio-state") / "state.sqlite"
    con = open_snapshot(demo_settings)
    try:  # the demo's weekly reviews, as `outcomes demo` writes them
        seed_demo_reviews(con, StateStore(state))
    finally:
        con.close()
    settings = server_settings(demo_root, state)
    log = tmp_path_factory.mktemp("portfolio-log") / "streamlit.log"
    with streamlit_server(settings, log) as url:
        yield url


def system_in(url: str) -> list[str]:
    return parse_qs(urlparse(url).query).get("system", [])


def check_portfolio_and_drill_down(url: str, browser) -> None:
    """The walk itself (also run by hand against any served snapshot)."""
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, wait_until="domcontentloaded")
    wait_settled(page)

    # 1. the default page is the portfolio: a table and one card per system, ready or not
    assert "Portfolio" in page.locator("h1").first.inner_text()
    page.wait_for_selector("[data-testid=stDataFrame]", timeout=30_000)
    for system in SYSTEMS:
        card = page.locator(f".st-key-portfolio_system_{system}")
        assert card.count() == 1, system
        text = card.inner_text()
        assert "ready" in text and "Value at risk" in text, text
        assert card.locator("a[href^=mailto]").count() == 0, "an owner's address is text"
    page.screenshot(path=str(ARTIFACTS / "portfolio.png"), full_page=True)

    # 2. drill into one system's ROI page: the link carries ?system=
    link = page.locator(f".st-key-portfolio_system_{DRILL} a", has_text=f"ROI of {DRILL}")
    link.first.click()
    page.wait_for_url("**/roi?*", timeout=30_000)
    wait_settled(page)
    assert urlparse(page.url).path.endswith("/roi"), page.url
    assert system_in(page.url) == [DRILL], page.url
    assert DRILL in page.locator("h1").first.inner_text()
    picker = page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").first
    assert DRILL in picker.inner_html()  # the sidebar's filter shows the system picked
    page.screenshot(path=str(ARTIFACTS / "portfolio-roi-drill-down.png"), full_page=True)

    # 3. a reload keeps the system, and so does a switch to another page
    page.reload(wait_until="domcontentloaded")
    wait_settled(page)
    assert system_in(page.url) == [DRILL], page.url
    assert DRILL in page.locator("h1").first.inner_text()
    page.locator("[data-testid=stSidebarNav] a", has_text="Weekly review").first.click()
    page.wait_for_url("**/weekly_review*", timeout=30_000)
    wait_settled(page)
    assert system_in(page.url) == [DRILL], page.url
    assert DRILL in page.locator("h1").first.inner_text()
    assert errors == []
    page.close()


def test_portfolio_drills_into_one_systems_roi_page(portfolio_server, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    check_portfolio_and_drill_down(portfolio_server, browser)
