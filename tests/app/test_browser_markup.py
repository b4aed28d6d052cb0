"""Markup injection in a real browser (issue 12): user and source text is shown as text.

Image and link payloads pointing at a listener the test starts on 127.0.0.1 are planted in
every field people or source files fill (notes, sign-off comments and names, acknowledgement
notes, verdict comments, a metric's title, description and owner, a quarantine reason and raw
value, a feature name, the signed-in name); every page is opened in Debian's chromium, and the
listener must receive no request and the pages hold no <img> or <a> made from a payload.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from outcomes.store.state import StateStore
from outcomes.store.state_alerts import alert_key
from tests.app.test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port, _wait_settled
from tests.apphelpers import PAGES, ROOT

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
    con = duckdb.connect(str(warehouse))
    try:
        weeks = [
            r[0]
            for r in con.execute(
                "select week_start from staging.weeks where not is_partial order by 1 desc limit 3"
            ).fetchall()
        ]
        metric = con.execute(
            "select name from main.metric_definitions where schema = 'metrics' order by name limit 1"
        ).fetchone()[0]
        con.execute(
            "update main.metric_definitions set title = ?, description = ?, owner = ? "
            "where name = ?",
            [payload(port, "title"), payload(port, "description"), payload(port, "owner"), metric],
        )
        con.execute(
            "update raw.quarantine set reason = ? where row_number = "
            "(select min(row_number) from raw.quarantine)",
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
    for name in ("warehouse.duckdb", "raw.duckdb"):
        shutil.copy2(demo_root / name, root / name)
    metric = plant(root, listener)
    port = _free_port()
    env = dict(
        os.environ,
        OUTCOMES_WAREHOUSE_PATH=str(root / "warehouse.duckdb"),
        OUTCOMES_RAW_PATH=str(root / "raw.duckdb"),
        OUTCOMES_STATE_PATH=str(root / "state.sqlite"),
        OUTCOMES_DEMO_DIR=str(demo_root / "demo"),
        OUTCOMES_AUTH__LOCAL_USER=payload(listener, "user"),
    )
    log = (root / "streamlit.log").open("w")
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
    yield url, metric
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_no_payload_becomes_an_image_or_a_link_on_any_page(planted_server, listener):
    from playwright.sync_api import sync_playwright

    url, metric = planted_server
    pages = (
        [url] + [f"{url}/{Path(p).stem}" for p in PAGES[1:]] + [f"{url}/catalog?metric={metric}"]
    )
    found: list[str] = []
    shown: set[str] = set()  # the payloads the pages show (as text)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for address in pages:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(address, wait_until="domcontentloaded")
                _wait_settled(page)
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
        finally:
            browser.close()
    assert not found, sorted({f.split(": ", 1)[1] for f in found})
    assert not _Listener.hits, _Listener.hits
    print("shown as text:", sorted(shown))
    assert shown >= SHOWN, sorted(SHOWN - shown)
