"""AppTest: every page of the app runs without an exception over a real demo snapshot."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apphelpers import PAGES, ROOT


def _run_cleanly(page: str, **query_params: str) -> AppTest:
    """The app opened with ``query_params``, switched to ``page``: no exception, no error."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query_params)
    at.run()
    if page != PAGES[0]:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(demo_env, page):
    _run_cleanly(page)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_for_one_ai_system(demo_env, page):
    """Every page takes the system filter (?system=, issue 15) without an error."""
    at = _run_cleanly(page, system="invoice-matcher")
    assert at.selectbox(key="system").value == "invoice-matcher"
