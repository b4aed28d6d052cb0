"""Each row of a load file says whether it replaces a version of its key that an earlier load
brought (``_correction``); staging ranks the versions of those keys only, and every key of a
correcting load whose file predates the flag (``_correction`` null)."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes.build.full import build_snapshot
from outcomes.core.contracts import CONTRACTS
from outcomes.ingest.load import ingest_path
from outcomes.store.raw import open_raw_store
from outcomes.store.snapshot import fetch_snapshot
from tests.conftest import settings_for
from tests.ingest.test_ingest import fetch, good, write_csv


@pytest.fixture
def settings(tmp_path: Path):
    return settings_for(tmp_path / "store")


def _load(settings, tmp_path: Path, name: str, rows: list[dict]) -> str:
    [r] = ingest_path(write_csv(tmp_path / name, rows), "ai_events", settings)
    assert r.status == "loaded", r.message
    return r.load_id


def _two_loads(settings, tmp_path: Path) -> tuple[str, str]:
    a = _load(
        settings,
        tmp_path,
        "a.csv",
        [good("ai_events", event_id=e, prediction="billing") for e in ("E1", "E2", "E3")],
    )
    b = _load(
        settings,
        tmp_path,
        "b.csv",
        [
            good("ai_events", event_id="E1", prediction="refund"),  # corrects E1
            good("ai_events", event_id="E2", prediction="billing"),  # resent as it was
            good("ai_events", event_id="E4", prediction="billing"),  # new
        ],
    )
    return a, b


def test_only_the_rows_that_replace_an_earlier_version_are_flagged(settings, tmp_path):
    a, b = _two_loads(settings, tmp_path)
    rows = fetch(
        settings,
        "select e._load_id, e.event_id, e._correction from raw.ai_events as e "
        "join raw.loads as l on l.load_id = e._load_id order by l.started_at, e.event_id",
    )
    assert rows == [
        (a, "E1", False), (a, "E2", False), (a, "E3", False),
        (b, "E1", True), (b, "E4", False),
    ]  # fmt: skip
    # back to the first version, and E4 changed: each replaces an earlier load's version
    c = _load(
        settings,
        tmp_path,
        "c.csv",
        [
            good("ai_events", event_id="E1", prediction="billing"),
            good("ai_events", event_id="E4", prediction="refund"),
            good("ai_events", event_id="E5"),
        ],
    )
    assert fetch(
        settings,
        "select event_id, _correction from raw.ai_events where _load_id = ? order by 1",
        [c],
    ) == [("E1", True), ("E4", True), ("E5", False)]
    [(listed,)] = fetch(settings, "select columns from raw.load_files where load_id = ?", [c])
    assert listed[-1] == "_correction"


def test_staging_keeps_the_newest_version_of_a_flagged_key(settings, tmp_path):
    _two_loads(settings, tmp_path)
    build_snapshot(settings)
    rows = fetch_snapshot(
        settings, "select event_id, prediction from staging.ai_events order by event_id"
    )
    assert rows == [("E1", "refund"), ("E2", "billing"), ("E3", "billing"), ("E4", "billing")]


def test_a_correcting_load_written_before_the_flag_still_has_its_keys_ranked(settings, tmp_path):
    """A raw store of an earlier release: its rows move to load files without the flag (null),
    and staging ranks every key of the load that corrected rows, as before the flag."""
    from tests.ingest.test_row_hash import as_an_older_release

    _two_loads(settings, tmp_path)
    con = as_an_older_release(settings)
    con.execute("alter table raw.raw.ai_events drop column _correction")
    con.close()
    with open_raw_store(settings, write=True):  # moves the rows to load files
        pass
    flags = fetch(settings, "select distinct _correction from raw.ai_events")
    assert flags == [(None,)]
    build_snapshot(settings)
    rows = fetch_snapshot(
        settings, "select event_id, prediction from staging.ai_events order by event_id"
    )
    # without the fallback E1 would have two rows here, one per version
    assert rows == [("E1", "refund"), ("E2", "billing"), ("E3", "billing"), ("E4", "billing")]


def test_an_earlier_version_whose_load_the_ledger_lacks_still_makes_a_correction(
    settings, tmp_path
):
    """An older store's row with no load id (moved to a legacy load file) is an earlier
    version too: the new row of its key is flagged and staging keeps one row."""
    from tests.ingest.test_row_hash import as_an_older_release

    _load(settings, tmp_path, "a.csv", [good("ai_events", event_id=e) for e in ("E1", "E9")])
    con = as_an_older_release(settings)
    con.execute("alter table raw.raw.ai_events drop column _correction")
    con.execute("update raw.raw.ai_events set _load_id = null where event_id = 'E1'")
    con.close()
    with open_raw_store(settings, write=True):  # moves the rows to load files
        pass
    b = _load(
        settings,
        tmp_path,
        "b.csv",
        [
            good("ai_events", event_id="E1", prediction="refund"),
            good("ai_events", event_id="E9", prediction="refund"),
        ],
    )
    flags = fetch(
        settings,
        "select event_id, _correction from raw.ai_events where _load_id = ? order by 1",
        [b],
    )
    assert flags == [("E1", True), ("E9", True)]
    build_snapshot(settings)
    rows = fetch_snapshot(
        settings, "select event_id, prediction from staging.ai_events order by event_id"
    )
    assert rows == [("E1", "refund"), ("E9", "refund")]


def test_each_load_file_table_flags_its_corrections_and_staging_keeps_the_newest(
    settings, tmp_path
):
    """ai_features (a two-column key), feedback and work_items, each loaded twice: the second
    load corrects one key, resends one unchanged and adds one; staging keeps one row per key,
    the newest."""
    g = good
    loads = {
        "ai_events": (
            [g("ai_events", event_id="E1"), g("ai_events", event_id="E2")],
            [],
        ),
        "ai_features": (
            [
                g("ai_features", event_id="E1", feature="a", value_num="1"),
                g("ai_features", event_id="E1", feature="b", value_num="2"),
                g("ai_features", event_id="E2", feature="a", value_num="3"),
            ],
            [
                g("ai_features", event_id="E1", feature="a", value_num="9"),  # corrects
                g("ai_features", event_id="E1", feature="b", value_num="2"),  # resent
                g("ai_features", event_id="E2", feature="b", value_num="4"),  # new key
            ],
        ),
        "feedback": (
            [g("feedback", event_id="E1", correct="true"), g("feedback", event_id="E2")],
            [
                g("feedback", event_id="E1", correct="false"),  # corrects
                g("feedback", event_id="E2"),  # resent
            ],
        ),
        "work_items": (
            [g("work_items", item_id="W1"), g("work_items", item_id="W2")],
            [
                g("work_items", item_id="W1", handle_minutes="45"),  # corrects
                g("work_items", item_id="W3"),  # new
            ],
        ),
    }
    for n in (0, 1):
        for table, files in loads.items():
            if files[n]:
                path = write_csv(tmp_path / f"{table}-{n}.csv", files[n])
                [r] = ingest_path(path, table, settings)
                assert r.status == "loaded", r.message
    flagged = {
        table: fetch(
            settings,
            f"select {', '.join(CONTRACTS[table].key)} from raw.{table} where _correction "
            "order by all",
        )
        for table in loads
    }
    assert flagged == {
        "ai_events": [],
        "ai_features": [("E1", "a")],
        "feedback": [("E1",)],
        "work_items": [("W1",)],
    }
    build_snapshot(settings)
    assert fetch_snapshot(
        settings, "select event_id, feature, value_num from staging.ai_features order by all"
    ) == [("E1", "a", 9.0), ("E1", "b", 2.0), ("E2", "a", 3.0), ("E2", "b", 4.0)]
    assert fetch_snapshot(
        settings, "select event_id, correct from staging.feedback order by all"
    ) == [("E1", False), ("E2", True)]
    assert fetch_snapshot(
        settings, "select item_id, handle_minutes from staging.work_items order by all"
    ) == [("W1", 45.0), ("W2", 30.0), ("W3", 30.0)]
