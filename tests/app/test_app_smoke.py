"""AppTest: every page of the app runs without an exception over a real demo snapshot."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apphelpers import PAGES, ROOT


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(demo_env, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    if page != PAGES[0]:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_for_one_ai_system(demo_env, page):
    """Every page takes the system filter (?system=, issue 15) without an error."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["system"] = "invoice-matcher"
    at.run()
    if page != PAGES[0]:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="system").value == "invoice-matcher"
