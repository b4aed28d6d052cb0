"""Markup injection in a real browser (issue 12): user and source text is shown as text.

Image and link payloads pointing at a listener the test starts on 127.0.0.1 are planted in
every field people or source files fill (notes, sign-off comments and names, acknowledgement
notes, verdict comments, a metric's title, description and owner, a quarantine reason and raw
value, a feature name, the signed-in name); every page is opened in Debian's chromium, and the
listener must receive no request and the pages hold no <img> or <a> made from a payload.
"""

from __future__ import annotations

import http.server
import shutil
import threading
from pathlib import Path

import duckdb
import pytest

from outcomes.store.parts import copy_snapshot
from outcomes.store.state import StateStore
from outcomes.store.state_alerts import alert_key
from tests.apphelpers import PAGES
from tests.browserharness import (
    chromium,
    last_complete_weeks,
    server_settings,
    streamlit_server,
    wait_settled,
)

pytestmark = pytest.mark.browser


class _Listener(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        _Listener.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def listener():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


PLANTED = (
    "title",
    "description",
    "owner",
    "reason",
    "feature",
    "note",
    "author",
    "signer",
    "signoff",
    "acker",
    "ack",
    "user",
)
SHOWN = {"author", "feature", "note", "owner", "reason", "signer", "signoff", "title", "user"}


def payload(port: int, where: str) -> str:
    base = f"http://127.0.0.1:{port}"
    return (
        f"![{where}]({base}/md-{where}.png) <img src='{base}/html-{where}.png'> "
        f"[click {where}](javascript:alert('{where}')) [go]({base}/link-{where}) "
        f"<{base}/auto-{where}> {base}/bare-{where}"
    )


def plant(root: Path, port: int) -> Path:
    """A copy of the demo snapshot and a state store holding a payload in every text field."""
    warehouse = root / "warehouse.duckdb"
    weeks = last_complete_weeks(warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        metric = con.execute(
            "select name from main.metric_definitions where schema = 'metrics' order by name limit 1"
        ).fetchone()[0]
        con.execute(
            "update main.metric_definitions set title = ?, description = ?, owner = ? "
            "where name = ?",
            [payload(port, "title"), payload(port, "description"), payload(port, "owner"), metric],
        )
        con.execute(
            # the row the data page inspects first (sql/app/data_quarantine_rows.sql's order);
            # load ids of one second differ by a random suffix, so no fixed row_number will do
            "update raw.quarantine set reason = ? where (load_id, row_number) = "
            "(select (load_id, row_number) from raw.quarantine order by load_id, row_number "
            "limit 1)",
            [payload(port, "reason")],
        )
        con.execute(
            "update metrics.drift_psi set feature = ? where feature = "
            "(select min(feature) from metrics.drift_psi)",
            [payload(port, "feature")],
        )
        alerts = [
            alert_key(m, w)
            for m, w in con.execute("select metric, week_start from main.alerts limit 3").fetchall()
        ]
    finally:
        con.close()
    store = StateStore(root / "state.sqlite")
    for week in weeks:
        store.add_annotation(week, payload(port, "note"), "incident", payload(port, "author"))
        store.sign_off(week, payload(port, "signer"), comment=payload(port, "signoff"))
    for key in alerts:
        store.acknowledge_alert(key, payload(port, "acker"), note=payload(port, "ack"))
    return metric


@pytest.fixture(scope="module")
def planted_server(demo_root: Path, tmp_path_factory: pytest.TempPathFactory, listener: int):
    root = tmp_path_factory.mktemp("markup")
    copy_snapshot(demo_root / "warehouse.duckdb", root / "warehouse.duckdb")  # with its parts
    shutil.copy2(demo_root / "raw.duckdb", root / "raw.duckdb")
    metric = plant(root, listener)
    settings = server_settings(
        root,
        root / "state.sqlite",
        demo_root / "demo",
        OUTCOMES_AUTH__LOCAL_USER=payload(listener, "user"),
    )
    with streamlit_server(settings, root / "streamlit.log") as url:
        yield url, metric


def test_no_payload_becomes_an_image_or_a_link_on_any_page(planted_server, listener):
    url, metric = planted_server
    pages = (
        [url] + [f"{url}/{Path(p).stem}" for p in PAGES[1:]] + [f"{url}/catalog?metric={metric}"]
    )
    found: list[str] = []
    shown: set[str] = set()  # the payloads the pages show (as text)
    with chromium() as browser:
        for address in pages:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(address, wait_until="domcontentloaded")
            wait_settled(page)
            for tab in page.locator("[data-baseweb=tab]").all():  # tabs render on click
                if tab.is_visible():
                    tab.click(timeout=5_000)
                    page.wait_for_timeout(300)
                    for box in page.locator("[data-testid=stExpander] summary").all():
                        if box.is_visible():
                            box.click(timeout=5_000)
            page.wait_for_timeout(500)
            html = page.content()
            shown |= {w for w in PLANTED if f"/md-{w}.png" in html}
            assert "127.0.0.1:" + str(listener) in html or "/weekly_review" not in address
            for tag in page.locator("img, a").all():
                target = (tag.get_attribute("src") or "") + (tag.get_attribute("href") or "")
                if f":{listener}" in target or "javascript:" in target:
                    found.append(f"{address}: {target}")
            page.close()
    assert not found, sorted({f.split(": ", 1)[1] for f in found})
    assert not _Listener.hits, _Listener.hits
    print("shown as text:", sorted(shown))
    assert shown >= SHOWN, sorted(SHOWN - shown)
