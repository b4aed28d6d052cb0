"""AppTest: the ROI page over the demo warehouse (the portfolio is the default page since
issue 15; each test switches to the ROI page).

Checks that the page runs, the period picker changes the headline, "show working" shows the
formula with its numbers and the SQL, every download's bytes parse (CSV, XLSX, ZIP, HTML, PDF),
a failing part shows an error card while the rest of the page works, and the empty state.
"""

from __future__ import annotations

import csv
import io
import zipfile
from html.parser import HTMLParser

import openpyxl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from tests.apphelpers import ROOT
from tests.chartspecs import charts

MANAGERS: list[MediaFileManager] = []


class _RecordingManager(MediaFileManager):
    """The media file manager of an AppTest run, kept so the test can read downloads."""

    def __init__(self, storage):
        super().__init__(storage)
        MANAGERS.append(self)


@pytest.fixture
def media(monkeypatch):
    MANAGERS.clear()
    monkeypatch.setattr(app_test_module, "MediaFileManager", _RecordingManager)
    return MANAGERS


def _open(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update(query or {})
    at.run()
    at.switch_page("app_pages/roi.py")
    at.run()
    return at


def _headline(at: AppTest) -> dict[str, tuple[str, str | None]]:
    # a tile's label is "name · what it is": keyed by the name
    return {m.label.split(" · ")[0]: (m.value, m.delta) for m in at.metric}


def _download(at: AppTest, key: str, managers: list[MediaFileManager]) -> bytes:
    """The bytes a click on download button ``key`` gives (static or generated on click)."""
    found = [b for b in at.get("download_button") if b.proto.id.endswith(key) or key in b.proto.id]
    assert found, (key, [b.proto.id for b in at.get("download_button")])
    proto = found[0].proto
    manager = managers[-1]
    url = proto.url
    if proto.HasField("deferred_file_id"):
        url = manager.execute_deferred(proto.deferred_file_id)
    assert url, f"{key}: no file behind the button"
    return manager._storage.get_file(url.rsplit("/", 1)[1]).content


def test_roi_page_shows_the_headline(demo_env):
    at = _open()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value.endswith("ROI")
    headline = _headline(at)
    assert list(headline) == [
        "Net value to date",
        "Net value in period",
        "ROI",
        "Payback week",
        "Annualised run-rate",
        "Projected inference cost vs budget",
    ]
    assert any("Demo assumptions: " in i.value for i in at.info)
    bases = [m.label.split(" · ", 1)[1] for m in at.metric]
    assert bases[1].startswith("actual, 2026-") and bases[1].endswith(", USD")
    assert bases[5] == "projected at production volume, per month"
    assert headline["Net value to date"][0].startswith(("$", "-$"))
    assert headline["Net value in period"][1] is not None  # a change against the previous period
    titles = [c["title"] for c in charts(at)]
    assert any(t.startswith("Cumulative value vs cumulative cost") for t in titles)
    assert any(t.startswith("From benefits through costs to net value") for t in titles)
    assert any(t.startswith("ROI range by assumption") for t in titles)
    cumulative = next(c for c in charts(at) if c["title"].startswith("Cumulative value"))
    assert any(str(r.get("label", "")).startswith("Payback") for r in cumulative["rows"])
    assert any(r.get("text") == "model v2 first seen" for r in cumulative["rows"])


def test_a_systems_roi_page_reads_its_own_ledger_rows(demo_env):
    """?system=x (issue 15): the headline is the system's, the pilot's net value negative."""
    company = _headline(_open())
    at = _open({"system": "contract-summariser"})
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert "contract-summariser" in at.title[0].value
    mine = _headline(at)
    assert mine["Net value to date"][0].startswith("-$")
    assert mine["Net value to date"][0] != company["Net value to date"][0]
    assert any("Showing AI system **contract-summariser**" in i.value for i in at.info)
    # its inference budget is its own: over budget (big token counts), from the register
    assert (
        mine["Projected inference cost vs budget"] != company["Projected inference cost vs budget"]
    )
    at.radio(key="roi_working_figure").set_value("inference_budget").run()
    expander = next(e for e in at.expander if "Show working" in e.label)
    inputs = next(d.value for d in expander.dataframe if "source" in d.value.columns)
    assert "systems register" in set(inputs["source"])


def test_period_picker_changes_the_headline(demo_env):
    at = _open()
    month = _headline(at)
    caption_month = next(c.value for c in at.caption if "weeks starting" in c.value)
    at.radio(key="roi_kind").set_value("quarter").run()
    assert not at.exception
    quarter = _headline(at)
    assert quarter["Net value in period"] != month["Net value in period"]
    assert (
        quarter["Net value to date"] != month["Net value to date"] or quarter["ROI"] != month["ROI"]
    )
    assert next(c.value for c in at.caption if "weeks starting" in c.value) != caption_month
    assert "previous quarter (" in next(c.value for c in at.caption if "weeks starting" in c.value)
    options = at.selectbox(key="roi_quarter").options
    at.selectbox(key="roi_quarter").set_value(at.selectbox(key="roi_quarter").options[-1]).run()
    assert (
        len(options) > 1 and _headline(at)["Net value in period"] != quarter["Net value in period"]
    )
    at.radio(key="roi_kind").set_value("ytd").run()
    assert not at.exception and "Year to date" in next(
        c.value for c in at.caption if "weeks starting" in c.value
    )


def test_show_working_shows_the_formula_with_numbers_and_the_sql(demo_env):
    at = _open()
    at.radio(key="roi_working_figure").set_value("roi").run()
    expander = next(e for e in at.expander if "Show working" in e.label)
    codes = [c.value for c in expander.code]
    roi = next(c for c in codes if c.startswith("(total_benefits - total_costs) / total_costs"))
    filled = roi.splitlines()[1]
    assert filled.startswith("= (") and any(ch.isdigit() for ch in filled)
    assert any("select" in c.lower() and "from" in c.lower() for c in codes)
    # a line in a week: its inputs name their sources, owners and dates; inputs are per AI
    # system (issue 15: a company row is the sum over systems and carries none)
    at = _open({"system": "ticket-assistant"})
    expander = next(e for e in at.expander if "Show working" in e.label)
    frames = [d.value for d in expander.dataframe]
    sources = {s for f in frames if "source" in f.columns for s in f["source"]}
    assert {"metric", "assumption"} <= sources
    assert any("owner" in f.columns and f["owner"].str.contains("@").any() for f in frames)


def test_every_panel_shows_the_sql_behind_it(demo_env):
    from outcomes.app import queries

    at = _open()
    codes = {c.value.strip() for c in at.code}
    for name in (
        "roi_ledger_weeks",
        "roi_weekly_value_cost",
        "roi_line_totals",
        "roi_budget_projection",
    ):
        assert queries.query_text(name).strip() in codes, name


def test_downloads_parse(demo_env, media):
    at = _open()
    assert not at.exception
    ledger_csv = _download(at, "roi_dl_csv", media)
    rows = list(csv.DictReader(io.StringIO(ledger_csv.decode("utf-8"))))
    assert rows and {"week_start", "line_id", "category", "amount", "currency"} <= set(rows[0])
    book = openpyxl.load_workbook(io.BytesIO(_download(at, "roi_dl_xlsx", media)))
    assert {"Inputs", "Summary", "Sources"} <= set(book.sheetnames)
    with zipfile.ZipFile(io.BytesIO(_download(at, "roi_dl_pack", media))) as pack:
        names = pack.namelist()
        assert {"ledger.csv", "manifest.json", "ledger.xlsx"} <= set(names)
        assert pack.testzip() is None
    html = _download(at, "roi_dl_html", media).decode("utf-8")

    class Images(HTMLParser):
        srcs: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "img":
                self.srcs.append(dict(attrs)["src"])

    parser = Images()
    parser.feed(html)
    assert len(parser.srcs) >= 2 and all(
        s.startswith("data:image/png;base64,") for s in parser.srcs
    )
    assert "Net value to date" in html
    assert _download(at, "roi_dl_pdf", media).startswith(b"%PDF-")


def test_a_failing_part_shows_an_error_card_and_the_rest_works(demo_env, monkeypatch):
    from outcomes.roi import sensitivity

    def broken(*args, **kwargs):
        raise RuntimeError("sensitivity blew up")

    monkeypatch.setattr(sensitivity, "sensitivity", broken)
    at = _open()
    assert not at.exception
    assert any("sensitivity blew up" in e.value for e in at.error)
    assert len(at.metric) == 6  # the headline still there
    assert any(c["title"].startswith("Cumulative value") for c in charts(at))


def test_without_a_warehouse_the_page_explains_how_to_load_data(demo_env, monkeypatch, tmp_path):
    monkeypatch.setenv("OUTCOMES_WAREHOUSE_PATH", str(tmp_path / "none.duckdb"))
    at = _open()
    assert not at.exception
    assert any("No data yet" in i.value and "outcomes build" in i.value for i in at.info)


def test_a_snapshot_without_a_ledger_says_so(demo_env, monkeypatch, tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "create table main.build_manifest (build_id varchar, started_at timestamp, "
        "finished_at timestamp, status varchar)"
    )
    con.execute("insert into main.build_manifest values ('B-OLD', now(), now(), 'ok')")
    con.execute("create table main.build_objects (name varchar, status varchar)")
    con.execute("create table main.build_tests (name varchar, status varchar)")
    con.execute("create table main.build_settings (key varchar, value varchar)")
    con.close()
    monkeypatch.setenv("OUTCOMES_WAREHOUSE_PATH", str(path))
    at = _open()
    assert not at.exception
    assert any("No ROI ledger" in i.value for i in at.info)
