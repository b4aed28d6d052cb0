"""AppTest of the portfolio page over the hand-built two-system snapshot (issue 15)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from outcomes.store.state import StateStore
from tests.app.portfolio_snapshot import LAST_COMPLETE, build
from tests.apphelpers import ROOT


@pytest.fixture
def snapshot_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    build(con)
    con.close()
    for key, value in {
        "OUTCOMES_WAREHOUSE_PATH": str(warehouse),
        "OUTCOMES_RAW_PATH": str(tmp_path / "raw.duckdb"),
        "OUTCOMES_STATE_PATH": str(tmp_path / "state.sqlite"),
        "OUTCOMES_DEMO_DIR": str(tmp_path / "demo"),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ROOT)
    return tmp_path


def run_app(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_default_page_is_the_portfolio_with_every_system(snapshot_env: Path) -> None:
    StateStore(snapshot_env / "state.sqlite").sign_off(
        LAST_COMPLETE, "ops@example.com", system="ticket-assistant"
    )
    at = run_app()
    assert at.title[0].value.endswith("Portfolio")
    table = at.dataframe[0].value
    assert table["System"].tolist() == [
        "contract-summariser",
        "ticket-assistant",
        "Company (all systems)",
    ]
    assert table.loc[1, "Weekly review"] == f"✅ signed ({LAST_COMPLETE})"
    assert table.loc[0, "Readiness"].startswith("❌ not ready")
    # the register's note holds markup: it is never rendered, and the system names are text
    shown = " ".join(m.value for m in [*at.markdown, *at.caption])
    texts = [t.value for t in at.text]  # st.text: never Markdown
    assert "Owner: legal@example.com · Note: **bold** <img src=x>" in texts
    assert "**contract-summariser** · pilot since 2026-04-06 · ❌ not ready" in shown
    assert "Ready for production" in [m.label for m in at.metric]


def test_the_system_filter_reads_the_query_parameter(snapshot_env: Path) -> None:
    at = run_app({"system": "ticket-assistant"})
    assert at.selectbox(key="system").value == "ticket-assistant"
    assert at.selectbox(key="system").options == [
        "All systems (company)",
        "contract-summariser",
        "ticket-assistant",
    ]
