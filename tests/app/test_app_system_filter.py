"""AppTest: the pages that are not about one system's figures still honour ?system= (issue 15):
the catalog shows the system's totals, the data page the system's freshness, and the workbench
says the filter does not rewrite SQL."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.apphelpers import ROOT


def _page(page: str, system: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"system": system})
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_data_page_shows_only_the_chosen_systems_freshness(demo_env):
    at = _page("app_pages/data.py", "contract-summariser")
    frames = [d.value for d in at.dataframe if "sla_hours" in d.value.columns]
    assert len(frames) == 1 and frames[0]["system"].tolist() == ["contract-summariser"]
    assert any("freshness below is contract-summariser's" in c.value for c in at.caption)


def test_the_catalog_names_the_system_and_its_links_keep_it(demo_env):
    at = _page("app_pages/catalog.py", "invoice-matcher")
    assert any("total of invoice-matcher" in c.value for c in at.caption)
    (table,) = [d.value for d in at.dataframe if "link" in d.value.columns]
    links = table["link"].tolist()
    assert "catalog?metric=accuracy&system=invoice-matcher" in links


def test_the_workbench_says_the_filter_does_not_rewrite_sql(demo_env):
    at = _page("app_pages/workbench.py", "invoice-matcher")
    assert any("filter does not apply here" in c.value for c in at.caption)
