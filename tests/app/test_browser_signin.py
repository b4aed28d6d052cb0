"""A real sign-in (issue 12): `streamlit run` with `[auth]` pointing at a small OpenID Connect
provider this test starts on 127.0.0.1 (tests/oidc_provider.py), driven by Debian's chromium
through Streamlit's own `st.login`. Two users with different groups: the admin may close a
period and save metric SQL; the operator sees neither control, and the state store records
only the admin's actions, under the signed-in subject."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from outcomes.store.parts import copy_snapshot
from outcomes.store.state import StateStore
from tests.apphelpers import ROOT
from tests.browserharness import free_port, streamlit_server, wait_settled
from tests.oidc_provider import OidcProvider

pytestmark = pytest.mark.browser

ADMIN, OPERATOR = "ana@example.com", "otto@example.com"


@pytest.fixture(scope="module")
def provider():
    idp = OidcProvider({ADMIN: ["outcomes-admins"], OPERATOR: ["outcomes-operators"]}).start()
    yield idp
    idp.stop()


@pytest.fixture(scope="module")
def signed_server(demo_root: Path, provider: OidcProvider, tmp_path_factory):
    """The app with sign-in on, its own SQL folder, snapshot copy and state store."""
    home = tmp_path_factory.mktemp("signin")
    shutil.copytree(ROOT / "sql", home / "sql")
    copy_snapshot(demo_root / "warehouse.duckdb", home / "warehouse.duckdb")
    port = free_port()
    secrets = home / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "browser-test-cookie-secret"\n'
        'client_id = "outcomes"\n'
        'client_secret = "browser-test"\n'
        f'server_metadata_url = "{provider.issuer}/.well-known/openid-configuration"\n'
    )
    settings = {
        "OUTCOMES_WAREHOUSE_PATH": str(home / "warehouse.duckdb"),
        "OUTCOMES_RAW_PATH": str(demo_root / "raw.duckdb"),
        "OUTCOMES_STATE_PATH": str(home / "state.sqlite"),
        "OUTCOMES_DEMO_DIR": str(demo_root / "demo"),
        "OUTCOMES_SQL_DIR": str(home / "sql"),
    }
    log = home / "streamlit.log"
    with streamlit_server(
        settings, log, port=port, extra_args=["--secrets.files", str(secrets)]
    ) as url:
        yield url, home


def _sign_in(browser, url: str, user: str):
    """A fresh browser context through the whole OIDC round trip; returns (context, page)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    wait_settled(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#approve", timeout=30_000)  # the provider's page
    page.select_option("#user", user)
    page.click("#approve")
    page.wait_for_url(f"{url}/**", timeout=30_000)
    wait_settled(page)
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text(f"Signed in as {user}").wait_for(timeout=30_000)
    return context, page


def _open(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    wait_settled(page)


def _on_the_roi_page(browser, url: str, user: str, role: str, period: str):
    """Signed in as ``user``, whose ``role`` the sidebar shows, on the ROI page by ``period``
    (Month, Quarter); returns (context, page)."""
    context, page = _sign_in(browser, url, user)
    assert f"({role})" in page.locator("[data-testid=stSidebar]").inner_text()
    _open(page, f"{url}/roi")
    page.locator("[data-testid=stRadio]").get_by_text(period, exact=True).click()
    wait_settled(page)
    return context, page


def _save_button(page):
    return page.get_by_role("button", name="Save and rebuild")


def _edit_in_plain_text(page) -> None:
    page.locator("[data-testid=stCheckbox], [data-testid=stToggle]").filter(
        has_text="Plain text editor"
    ).first.click()
    wait_settled(page)
    area = page.locator("[data-testid=stTextArea] textarea").first
    area.fill(area.input_value() + "\n-- reviewed in the browser test\n")
    area.blur()
    wait_settled(page)


def test_the_admin_closes_a_period_and_saves_sql(signed_server, browser):
    url, home = signed_server
    # the portfolio is the default page; on the ROI page the newest quarter that is over is
    # final (the demo's 2026-10 is not: one system's labels arrive late)
    context, page = _on_the_roi_page(browser, url, ADMIN, "admin", "Quarter")
    page.get_by_role("button", name="Close 2026-Q3").click()
    wait_settled(page)
    page.get_by_test_id("stAlertContentSuccess").get_by_text(
        "2026-Q3 closed by ana@example.com"
    ).wait_for(timeout=60_000)

    _open(page, f"{url}/workbench")
    _edit_in_plain_text(page)
    page.get_by_role("button", name="Validate").click()  # Save needs a passing Validate
    wait_settled(page)
    _save_button(page).click()
    page.get_by_text("audit entry").wait_for(timeout=240_000)  # saved, then a full rebuild
    context.close()

    store = StateStore(home / "state.sqlite")
    actions = {(e.action, e.actor) for e in store.audit_log()}
    assert ("close", ADMIN) in actions and ("edit_sql", ADMIN) in actions


def test_the_operator_may_neither_close_nor_save(signed_server, browser):
    url, home = signed_server
    context, page = _on_the_roi_page(browser, url, OPERATOR, "operator", "Month")
    page.get_by_text("needs the admin role").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Close 2026-10").count() == 0

    _open(page, f"{url}/workbench")
    page.get_by_text("Saving metric SQL needs the analyst or admin role").wait_for(timeout=30_000)
    assert _save_button(page).count() == 0
    assert page.get_by_role("button", name="Preview").count() == 0
    context.close()

    actors = {e.actor for e in StateStore(home / "state.sqlite").audit_log()}
    assert OPERATOR not in actors
