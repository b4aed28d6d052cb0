"""An ops owner's week in a real browser (issue 16): open the weekly review, see what needs
action first with new alerts leading, snooze one, judge outputs, and sign off over what is
still open with the checklist and a reason.

`streamlit run app.py` on a free loopback port (single-user mode: the identity comes from the
settings), driven by Debian's chromium; a screenshot of the signed-off page is saved under
test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes.store.state import StateStore
from tests.browserharness import ARTIFACTS, server_settings, streamlit_server, wait_settled

pytestmark = pytest.mark.browser
OWNER = "Olga Ops"


@pytest.fixture(scope="module")
def review_server(demo_root: Path, tmp_path_factory: pytest.TempPathFactory):
    state = tmp_path_factory.mktemp("review-week-state") / "state.sqlite"
    settings = server_settings(
        demo_root, state, OUTCOMES_AUTH__LOCAL_USER=OWNER, OUTCOMES_AUTH__LOCAL_ROLE="operator"
    )
    log = tmp_path_factory.mktemp("review-week-log") / "streamlit.log"
    with streamlit_server(settings, log) as url:
        yield url, state


def _type(page, key: str, text: str) -> None:
    """Type into the keyed text input and commit it (Enter), then wait for the rerun."""
    box = page.locator(f".st-key-{key} input, .st-key-{key} textarea").first
    box.scroll_into_view_if_needed()
    box.fill(text)
    box.press("Enter")
    wait_settled(page)


def _click(page, key: str) -> None:
    button = page.locator(f".st-key-{key} button").first
    button.scroll_into_view_if_needed()
    button.click()
    wait_settled(page)


def test_an_ops_owners_week(review_server, browser) -> None:
    url, state_path = review_server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/weekly_review", wait_until="domcontentloaded")
    wait_settled(page)

    # 1. what needs action is the first section, new alerts lead it
    headers = page.locator("[data-testid=stHeading] h2").all_inner_texts()
    assert [h.strip() for h in headers[:3]] == [
        "Needs action",
        "Biggest changes vs last week",
        "Scorecard",
    ], headers

    def top(locator) -> float:  # all measured at one scroll position: comparable
        return locator.bounding_box()["y"]

    new = (
        page.locator("[data-testid=stMarkdownContainer] p").filter(has_text="New this week (").first
    )
    todo = page.locator("[data-testid=stDataFrame]").first
    scorecard = page.locator("[data-testid=stHeading]").filter(has_text="Scorecard").first
    assert top(new) < top(todo) < top(scorecard), "new alerts, then the list, then the scorecard"
    counts = page.get_by_text("need action", exact=False).first.inner_text()
    assert "new" in counts and "ongoing" in counts and "resolved" in counts
    needing = int(counts.split("·")[-1].split()[0])
    assert needing > 0
    first_new = new.inner_text().split(": ", 1)[1].split(" · ")[0]
    picked = page.locator(".st-key-wr_ack_alert input").input_value()
    assert first_new.split(" (")[0] in picked, "the picker opens on the first alert to act on"

    # 2. snooze the first alert for 3 weeks: it stops needing action and stays listed
    page.locator(".st-key-wr_ack_action").get_by_text("Snooze for N weeks").click()
    wait_settled(page)
    weeks = page.locator(".st-key-wr_ack_weeks input")
    weeks.fill("3")
    weeks.press("Enter")
    wait_settled(page)
    _type(page, "wr_ack_note", "retraining on Friday")
    _click(page, "wr_ack_button")
    assert page.get_by_text("Snoozed for 3 weeks:", exact=False).first.is_visible()
    counts = page.get_by_text("need action", exact=False).first.inner_text()
    assert int(counts.split("·")[-1].split()[0]) == needing - 1
    assert page.get_by_text(f"snoozed by {OWNER} until the week of", exact=False).count() >= 1

    # 3. judge three outputs
    for i in range(3):
        picker = page.locator(".st-key-wr_review_event")
        picker.scroll_into_view_if_needed()
        picker.click()
        page.locator("[role=option]").nth(i).click()
        wait_settled(page)
        page.locator(".st-key-wr_review_verdict").get_by_text("correct", exact=True).click()
        wait_settled(page)
        _click(page, "wr_review_save")
    assert page.get_by_text("3 of 20", exact=False).first.is_visible()

    # 4. sign off with the checklist: open items need a reason, which is stored and shown
    checklist = page.get_by_text("Every sampled output judged", exact=False).first
    checklist.scroll_into_view_if_needed()
    assert "⬜" in checklist.inner_text()
    _type(page, "wr_signoff_reason", "drift is the known catalogue change")
    _click(page, "wr_signoff_button")
    signed = page.get_by_text(f"Signed off by {OWNER}", exact=False).first
    assert signed.is_visible()
    assert "because: drift is the known catalogue change" in signed.inner_text()
    assert page.locator(".st-key-wr_signoff_button").count() == 0  # once per week and person

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "weekly_review_signed_off.png"), full_page=True)
    assert page.locator("[data-testid=stException]").count() == 0
    assert not errors, errors
    page.close()

    store = StateStore(state_path)
    (signed_off,) = store.signoffs()
    assert signed_off.author == OWNER and signed_off.open_items and signed_off.reason
    assert [a.action for a in store.acknowledgements()] == ["snooze"]
    assert len(store.verdicts(signed_off.week_start)) == 3
