"""Audit pack export and verification over a fixture snapshot (tests/ledgerfixtures.py)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from outcomes.roi.close import close_period
from outcomes.roi.ledger import ledger_sha256, read_ledger
from outcomes.roi.pack_export import export_pack
from outcomes.roi.pack_reading import PackError
from outcomes.roi.pack_verify import verify_pack
from outcomes.store.snapshot import open_snapshot
from outcomes.store.state import StateStore
from tests import ledgerfixtures
from tests.ledgerfixtures import LINES, Q1_WEEKS, Fixture, make_snapshot

fx, store = ledgerfixtures.fx, ledgerfixtures.store


def export(fx: Fixture, store: StateStore, out: Path, period: str = "2026-Q1") -> Path:
    with open_snapshot(fx.settings()) as con:
        return export_pack(con, fx.settings(), period, out, store=store)


@pytest.fixture
def pack(fx: Fixture, store: StateStore) -> Path:
    return export(fx, store, fx.root / "pack.zip")


def rewrite(src: Path, dst: Path, edit: Callable[[dict[str, bytes]], None]) -> Path:
    """Copy a pack, letting ``edit`` change its {name: bytes} contents."""
    with zipfile.ZipFile(src) as zf:
        contents = {n: zf.read(n) for n in zf.namelist()}
    edit(contents)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in contents.items():
            zf.writestr(name, data)
    return dst


def edit_csv(contents: dict[str, bytes], name: str, row_index: int, column: str, value: str) -> str:
    rows = list(csv.DictReader(io.StringIO(contents[name].decode())))
    old = rows[row_index][column]
    rows[row_index][column] = value
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    contents[name] = buffer.getvalue().encode()
    return old


def test_pack_contents(fx, store, pack):
    ledgerfixtures.raise_hourly_cost(store, "cfo@example.com", "FY26 loaded rate")
    pack = export(fx, store, fx.root / "with-change.zip")
    with zipfile.ZipFile(pack) as zf:
        names = zf.namelist()
        files = {n: zf.read(n) for n in names}
        infos = zf.infolist()
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert set(names) == {
        "README.md",
        "assumptions.csv",
        "inputs/ai_events.csv",
        "inputs/build_settings.csv",
        "inputs/cost_allocations.csv",
        "inputs/cost_weeks.csv",
        "inputs/system_weeks.csv",
        "ledger.csv",
        "ledger.xlsx",
        "lines.csv",
        "manifest.json",
        "metric_inputs.csv",
        "sql/metrics/error_rate.sql",
        "sql/metrics/event_volume.sql",
        "sql/metrics/hours_saved.sql",
        "sql/staging/assumptions.sql",
        *(f"sql/roi/{line}.sql" for line in LINES),
    }
    ledger = files["ledger.csv"].decode()
    assert "\r" not in ledger and ledger.endswith("\n")
    rows = list(csv.DictReader(io.StringIO(ledger)))
    assert list(rows[0]) == [
        "week_start",
        "system",
        "line_id",
        "category",
        "title",
        "formula",
        "formula_filled",
        "amount",
        "amount_display",
        "currency",
    ]
    assert len(rows) == len(Q1_WEEKS) * len(LINES)
    assert [(r["week_start"], r["line_id"]) for r in rows] == sorted(
        (r["week_start"], r["line_id"]) for r in rows
    )
    platform = next(r for r in rows if r["line_id"] == "platform_cost")
    assert (
        platform["amount"] == "3500.0000000000" and platform["amount_display"] == "3500.00"
    )  # 52000/52 + 2500
    lines = list(csv.DictReader(io.StringIO(files["lines.csv"].decode())))
    first = lines[1]
    assert (first["name"], first["value"], first["source_type"], first["effective_from"]) == (
        "loaded_hourly_cost",
        "62.50",
        "assumption",
        "2026-01-01",
    )
    metric_rows = list(csv.DictReader(io.StringIO(files["metric_inputs.csv"].decode())))
    assert {r["metric"] for r in metric_rows} == {"hours_saved", "error_rate", "event_volume"}
    assert {r["week_start"] for r in metric_rows} == {w.isoformat() for w in Q1_WEEKS}
    assumptions = list(csv.DictReader(io.StringIO(files["assumptions.csv"].decode())))
    assert {r["record"] for r in assumptions} == {"register", "loaded_version", "change"}
    change = next(r for r in assumptions if r["record"] == "change")
    assert (change["key"], change["old_value"], change["value"], change["changed_by"]) == (
        "loaded_hourly_cost",
        "60",
        "62.50",
        "cfo@example.com",
    )
    assert (
        files["sql/metrics/hours_saved.sql"]
        == (fx.sql_dir / "metrics" / "hours_saved.sql").read_bytes()
    )

    manifest = json.loads(files["manifest.json"])
    assert manifest["build_id"] == fx.build_id and manifest["period"]["label"] == "2026-Q1"
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == {
        n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != "manifest.json"
    }
    with open_snapshot(fx.settings()) as con:
        assert manifest["ledger_sha256"] == ledger_sha256(
            read_ledger(con, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
        )
    assert all(n["matches_build"] for n in manifest["sql_files"])
    assert manifest["closure"] is None
    readme = files["README.md"].decode()
    assert "outcomes roi verify pack.zip" in readme and "outcomes build" in readme


def test_same_inputs_give_the_same_bytes(fx, store, pack):
    again = export(fx, store, fx.root / "again.zip")
    assert pack.read_bytes() == again.read_bytes()
    # a later build of the same inputs: the ledger export is byte-identical (the manifest is not:
    # it names the build)
    fx.build_id = "B20260601T020000-00000002"
    make_snapshot(fx)
    later = export(fx, store, fx.root / "later.zip")
    with zipfile.ZipFile(pack) as a, zipfile.ZipFile(later) as b:
        for name in ("ledger.csv", "lines.csv", "ledger.xlsx", "metric_inputs.csv"):
            assert a.read(name) == b.read(name), name
        assert a.read("manifest.json") != b.read("manifest.json")


def test_honest_pack_verifies(pack):
    report = verify_pack(pack)
    assert report.ok, report.describe()
    assert len(report.lines) == 52 and {c.status for c in report.lines} == {"match"}
    assert {t.name for t in report.totals} == {"benefits", "costs", "net", "roi", "ledger_sha256"}
    assert report.period == "2026-Q1" and report.describe().startswith("MATCH")


def test_pack_of_a_closed_period_records_the_close(fx, store):
    with open_snapshot(fx.settings()) as con:
        record = close_period(con, fx.settings(), "2026-Q1", "cfo@example.com", store=store)
    pack = export(fx, store, fx.root / "closed.zip")
    with zipfile.ZipFile(pack) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["closure"]["close_id"] == record.id
    assert manifest["closure"]["matches_this_pack"] is True
    assert manifest["ledger_sha256"] == record.ledger_sha256
    assert verify_pack(pack).ok


def test_tampered_amount_in_ledger_csv_is_detected(pack, tmp_path):
    old: list[str] = []
    bad = rewrite(
        pack,
        tmp_path / "bad.zip",
        lambda c: old.append(edit_csv(c, "ledger.csv", 5, "amount", "99999.0000000000")),
    )
    report = verify_pack(bad)
    assert not report.ok
    assert report.tampered_files == ["ledger.csv"]
    [line] = report.mismatched_lines
    assert (line.week_start, line.stored, line.recomputed) == (
        "2026-01-12",
        "99999.0000000000",
        old[0],
    )
    assert "not the formula over the inputs" in line.message
    assert {t.name for t in report.totals if t.status != "match"} >= {"net", "ledger_sha256"}
    assert report.describe().startswith("MISMATCH")


def test_tampered_input_value_is_detected_by_hash_and_recomputation(pack, tmp_path):
    bad = rewrite(
        pack, tmp_path / "bad.zip", lambda c: edit_csv(c, "lines.csv", 1, "value", "75.00")
    )
    report = verify_pack(bad)
    assert not report.ok
    assert report.tampered_files == ["lines.csv"]
    [line] = report.mismatched_lines
    assert (line.week_start, line.line_id) == ("2026-01-05", "analyst_time_saved")
    assert (line.stored, line.recomputed) == ("6250.0000000000", "7500.0000000000")


def test_forged_manifest_hashes_do_not_hide_a_changed_input(pack, tmp_path):
    def forge(c: dict[str, bytes]) -> None:
        edit_csv(c, "lines.csv", 1, "value", "75.00")
        manifest = json.loads(c["manifest.json"])
        for f in manifest["files"]:
            f["sha256"] = hashlib.sha256(c[f["path"]]).hexdigest()
        c["manifest.json"] = json.dumps(manifest).encode()

    report = verify_pack(rewrite(pack, tmp_path / "forged.zip", forge))
    assert report.tampered_files == []
    assert not report.ok
    assert [(c.line_id, c.recomputed) for c in report.mismatched_lines] == [
        ("analyst_time_saved", "7500.0000000000")
    ]


@pytest.mark.parametrize(
    "name", ["sql/metrics/hours_saved.sql", "ledger.xlsx", "ledger.csv", "lines.csv"]
)
def test_removed_file_is_detected(pack, tmp_path, name):
    report = verify_pack(rewrite(pack, tmp_path / "bad.zip", lambda c: c.pop(name)))
    assert not report.ok
    assert [(f.path, f.status) for f in report.files if f.status != "ok"] == [(name, "missing")]


def test_modified_sql_added_file_and_missing_manifest(pack, tmp_path):
    def edit(c: dict[str, bytes]) -> None:
        c["sql/roi/platform_cost.sql"] += b"-- changed\n"
        c["extra.txt"] = b"hello"

    report = verify_pack(rewrite(pack, tmp_path / "bad.zip", edit))
    assert {(f.path, f.status) for f in report.files if f.status != "ok"} == {
        ("sql/roi/platform_cost.sql", "modified"),
        ("extra.txt", "unexpected"),
    }
    assert not report.ok
    no_manifest = verify_pack(
        rewrite(pack, tmp_path / "nomanifest.zip", lambda c: c.pop("manifest.json"))
    )
    assert not no_manifest.ok and "manifest.json is missing" in no_manifest.errors[0]


def test_not_a_pack(tmp_path):
    with pytest.raises(PackError, match="no audit pack"):
        verify_pack(tmp_path / "nothing.zip")
    (tmp_path / "text.zip").write_text("not a zip")
    with pytest.raises(PackError, match="not a zip"):
        verify_pack(tmp_path / "text.zip")


def test_sql_changed_since_the_build_is_flagged(fx, store):
    path = fx.sql_dir / "metrics" / "hours_saved.sql"
    path.write_text(path.read_text() + "-- edited after the build\n")
    pack = export(fx, store, fx.root / "pack.zip")
    with zipfile.ZipFile(pack) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert b"edited after the build" in zf.read("sql/metrics/hours_saved.sql")
    [note] = [n for n in manifest["sql_files"] if not n["matches_build"]]
    assert note["object"] == "metrics.hours_saved"
    report = verify_pack(pack)
    assert report.ok  # the pack is what it says it is ...
    assert any("metrics.hours_saved" in w for w in report.warnings)  # ... but says so


def test_a_pack_exported_after_a_real_restatement_says_it_differs_from_the_close(fx, store):
    """Close the quarter, rebuild with another loaded hourly cost, export: verify says the
    pack is not the closed record, and still verifies as a pack."""
    with open_snapshot(fx.settings()) as con:
        record = close_period(con, fx.settings(), "2026-Q1", "cfo@example.com", store=store)
    closed = export(fx, store, fx.root / "closed.zip")
    assert "the same figures as close #" in verify_pack(closed).describe()
    fx.assumptions = {**fx.assumptions, "loaded_hourly_cost": [("2026-01-01", "70.00")]}
    fx.build_id = "B20260601T020000-00000002"
    make_snapshot(fx)
    later = export(fx, store, fx.root / "later.zip")
    report = verify_pack(later)
    assert report.ok, report.describe()  # the restated figures follow from the restated inputs
    manifest = json.loads(zipfile.ZipFile(later).read("manifest.json"))
    assert manifest["closure"]["matches_this_pack"] is False
    assert manifest["closure"]["ledger_sha256"] == record.ledger_sha256 != manifest["ledger_sha256"]
    assert f"DIFFERS FROM THE CLOSED RECORD: restated since close #{record.id}" in report.describe()
