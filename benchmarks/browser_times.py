"""Browser-perceived page times (issue 16): ``python benchmarks/browser_times.py <data dir>``.

Starts ``streamlit run app.py`` on the benchmark's snapshot (loopback, free port) and drives
Debian's chromium through Playwright:

- **cold first visit**: a new browser context opens each page's URL; the time until the page
  is drawn (the script has finished and its title and every chart are on screen);
- **page switch**: from that page, a click on the next page in the sidebar; the time until the
  new page is drawn.

Two rounds on one server (``measure``): the first visitors of a snapshot (under ``cold``), then
the first visitors of a new snapshot once the server has warmed the figures the first round
asked for (outcomes/app/warmup.py; the headline figures).

Targets (issue 16): first visit under 2 s, page switch under 0.5 s. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
# URL path and sidebar label of each page, in the sidebar's order
PAGES = [
    ("", "Portfolio"),  # the default page, at the root
    ("roi", "ROI"),
    ("weekly_review", "Weekly review"),
    ("model_health", "Model health"),
    ("catalog", "Metric catalog"),
    ("workbench", "SQL workbench"),
    ("overview", "Overview"),
    ("data", "Data"),
]
DRAWN = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.dataset.testScriptState !== 'notRunning') return false;
  if (!document.querySelector('[data-testid=stMain] h1')) return false;
  if (document.querySelector('[data-testid=stSkeleton], [data-testid=stSpinner]')) return false;
  const charts = document.querySelectorAll('[data-testid=stVegaLiteChart]');
  return [...charts].every(c => c.querySelector('svg.marks, canvas'));
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(data: Path, port: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        OUTCOMES_WAREHOUSE_PATH=str(data / "warehouse.duckdb"),
        OUTCOMES_RAW_PATH=str(data / "raw-work.duckdb"),
        OUTCOMES_STATE_PATH=str(data / "state.sqlite"),
        OUTCOMES_DEMO_DIR=str(data / "source"),
    )
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("streamlit did not start")


def _drawn(page, timeout_ms: int = 120_000) -> None:
    page.wait_for_function(DRAWN, timeout=timeout_ms, polling=50)


def _wait_for_warming(data: Path, pid: int, after: float, timeout_s: float = 900) -> float:
    """Seconds until the server ``pid`` has warmed a snapshot, finishing after ``after``."""
    status = data / "warehouse.duckdb.warm-status.json"
    t = time.perf_counter()
    while time.perf_counter() - t < timeout_s:
        try:
            done = json.loads(status.read_text())
            if done.get("pid") == pid and done.get("finished_at", 0) > after:
                return time.perf_counter() - t
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not finish warming in {timeout_s} s")


def measure(data: Path) -> dict:
    """Two rounds on one server: the first visitors of a snapshot (``cold``), then, once a new
    snapshot has appeared (the file touched, as a build that changed nothing would replace it)
    and the server has warmed the figures the first round asked for, the same visits again
    (outcomes/app/warmup.py). Seconds."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    proc = _serve(data, port)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            # the server's first session pays Python imports once; measured apart
            warmup = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            t = time.perf_counter()
            warmup.goto(url, wait_until="domcontentloaded")
            _drawn(warmup)
            server_cold = time.perf_counter() - t
            warmup.context.close()
            cold = _round(browser, url)
            touched = time.time()
            os.utime(data / "warehouse.duckdb")  # a new snapshot key: every cache misses
            warming_s = _wait_for_warming(data, proc.pid, touched)
            warm = _round(browser, url)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {
        **warm,
        "server_first_session_s": server_cold,
        "warming_s": warming_s,
        "cold": cold,
        "targets": {"first_visit_s": 2.0, "page_switch_s": 0.5},
    }


def _round(browser, url: str) -> dict:
    """First visit (a new browser context) and page switch of every page, in seconds."""
    first, switch = {}, {}
    for i, (path, _label) in enumerate(PAGES):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        t = time.perf_counter()
        page.goto(f"{url}/{path}", wait_until="domcontentloaded")
        _drawn(page)
        first[path or "portfolio"] = time.perf_counter() - t
        nxt_path, nxt_label = PAGES[(i + 1) % len(PAGES)]
        link = page.locator("[data-testid=stSidebarNav] a").filter(has_text=nxt_label)
        t = time.perf_counter()
        link.first.click()
        page.wait_for_url(f"{url}/{nxt_path}")
        _drawn(page)
        switch[f"{path or 'portfolio'} -> {nxt_path or 'portfolio'}"] = time.perf_counter() - t
        context.close()
    return {
        "first_visit_s": first,
        "page_switch_s": switch,
        "first_visit_max_s": max(first.values()),
        "page_switch_max_s": max(switch.values()),
    }


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]))))
