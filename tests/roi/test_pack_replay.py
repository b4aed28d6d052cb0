"""The audit pack re-executes its ROI SQL over its own inputs (issue 13): column-qualified
metric inputs are kept, a pack whose SQL and amounts were changed together fails, and a pack
that differs from the closed record says so."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from outcomes.roi.pack_export import export_pack
from outcomes.roi.pack_verify import verify_pack
from outcomes.store.snapshot import open_snapshot
from tests.roifixtures import LEDGER_LINES


@pytest.fixture
def pack(demo_env, tmp_path) -> Path:
    with open_snapshot(demo_env) as con:
        return export_pack(con, demo_env, "2026-10", tmp_path / "pack.zip")


def rewrite(src: Path, dst: Path, change) -> Path:
    """A copy of the pack with ``change(files)`` applied and the manifest's hashes updated:
    a forgery that keeps the pack self-consistent."""
    with zipfile.ZipFile(src) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    change(files)
    manifest = json.loads(files["manifest.json"])
    for f in manifest["files"]:
        f["sha256"] = hashlib.sha256(files[f["path"]]).hexdigest()
        f["bytes"] = len(files[f["path"]])
    files["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return dst


def _edit_csv(files: dict[str, bytes], name: str, change) -> None:
    """Apply ``change(row)`` to every row of the pack's CSV ``name`` (rows it returns False
    for are dropped)."""
    rows = list(csv.DictReader(io.StringIO(files[name].decode())))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(r for r in rows if change(r) is not False)
    files[name] = out.getvalue().encode()


def test_the_demo_pack_replays_its_roi_sql_and_keeps_column_inputs(pack):
    report = verify_pack(pack)
    assert report.ok, report.describe()
    assert not [w for w in report.warnings if "SQL file not found" in w]
    replays = {r.line_id: r for r in report.replays}
    with zipfile.ZipFile(pack) as zf:
        ledger = list(csv.DictReader(io.StringIO(zf.read("ledger.csv").decode())))
    rows = {line: sum(1 for r in ledger if r["line_id"] == line) for line in LEDGER_LINES}
    assert {r["system"] for r in ledger} == {
        "ticket-assistant",
        "invoice-matcher",
        "contract-summariser",
    }
    # every week of each system (the period's 4 weeks x 3 systems)
    assert replays["time_saved"].status == "match" and replays["time_saved"].weeks == 12
    assert replays["errors_avoided"].status == "match"
    # the cost, inference and amortisation lines too, over the pack's inputs/
    assert set(replays) == set(LEDGER_LINES) and all(r.status == "match" for r in replays.values())
    assert all(replays[line].weeks == rows[line] for line in LEDGER_LINES)
    with zipfile.ZipFile(pack) as zf:
        metrics = list(csv.DictReader(io.StringIO(zf.read("metric_inputs.csv").decode())))
    hours = [m for m in metrics if m["metric"] == "hours_saved"]
    assert hours and all("actual_minutes" in json.loads(m["extras"]) for m in hours)
    assert "the period was not closed" in report.describe()


def test_changing_the_sql_and_the_amounts_together_is_caught(pack, tmp_path):
    def double_time_saved(files: dict[str, bytes]) -> None:
        sql = files["sql/roi/time_saved.sql"].decode()
        files["sql/roi/time_saved.sql"] = sql.replace(
            "* 0.0000000001 as amount", "* 0.0000000001 * 2 as amount"
        ).encode()

        def double(r: dict[str, str]) -> None:
            if r["line_id"] == "time_saved":
                r["amount"] = str(2 * float(r["amount"]))

        _edit_csv(files, "ledger.csv", double)

    forged = rewrite(pack, tmp_path / "forged.zip", double_time_saved)
    report = verify_pack(forged)
    assert not report.ok
    # the amounts no longer follow from the inputs in lines.csv and the metric rows
    assert any(c.line_id == "time_saved" for c in report.mismatched_lines)


def test_the_pack_sql_over_changed_metric_inputs_is_caught(pack, tmp_path):
    def halve_minutes(files: dict[str, bytes]) -> None:
        def halve(r: dict[str, str]) -> None:
            if r["metric"] == "hours_saved":
                extras = json.loads(r["extras"])
                extras["actual_minutes"] = extras["actual_minutes"] / 2
                r["extras"] = json.dumps(extras)

        _edit_csv(files, "metric_inputs.csv", halve)

    report = verify_pack(rewrite(pack, tmp_path / "inputs.zip", halve_minutes))
    replay = {r.line_id: r for r in report.replays}["time_saved"]
    assert replay.status == "mismatch" and not report.ok
    assert "the pack's SQL over its inputs gives other amounts" in report.describe()


def test_a_pack_exported_after_a_restatement_says_it_differs_from_the_close(demo_env, tmp_path):
    with open_snapshot(demo_env) as con:
        pack = export_pack(con, demo_env, "2026-10", tmp_path / "p.zip")

    def restated(files: dict[str, bytes]) -> None:
        manifest = json.loads(files["manifest.json"])
        manifest["closure"] = {
            "close_id": 1,
            "closed_by": "cfo@example.com",
            "closed_at": "2026-11-02T09:00:00+00:00",
            "build_id": "B-OLD",
            "ledger_sha256": "0" * 64,
            "matches_this_pack": False,
        }
        files["manifest.json"] = json.dumps(manifest).encode()

    report = verify_pack(rewrite(pack, tmp_path / "r.zip", restated))
    assert "DIFFERS FROM THE CLOSED RECORD: restated since close #1" in report.describe()


def test_a_changed_cost_row_in_the_pack_is_caught(pack, tmp_path):
    changed: list[str] = []

    def add_a_cent(r: dict[str, str]) -> None:
        if r["category"] == "people" and not changed:
            r["amount"] = str(Decimal(r["amount"]) + Decimal("0.01"))
            changed.append(f"{r['week_start']} {r['system']}")

    forged = rewrite(
        pack,
        tmp_path / "cost.zip",
        lambda f: _edit_csv(f, "inputs/cost_allocations.csv", add_a_cent),
    )
    report = verify_pack(forged)
    replays = {r.line_id: r for r in report.replays}
    assert not report.ok and replays["people"].status == "mismatch"
    assert [w for w, _, _ in replays["people"].differences] == changed
    week, ledger, replayed = replays["people"].differences[0]
    assert Decimal(replayed) - Decimal(ledger) == Decimal("0.01")  # exact, to the cent
    # the shares no longer add up to the cost line's week
    assert replays["cost_allocations"].status == "mismatch"
    assert "do not add up" in report.describe()
    assert all(replays[line].status == "match" for line in LEDGER_LINES if line != "people")


def test_a_changed_cost_week_whose_shares_still_match_the_ledger_is_caught(pack, tmp_path):
    def add_a_cent(files: dict[str, bytes]) -> None:
        _edit_csv(
            files,
            "inputs/cost_weeks.csv",
            lambda r: r.update(amount=str(Decimal(r["amount"]) + Decimal("0.01"))),
        )

    report = verify_pack(rewrite(pack, tmp_path / "weeks.zip", add_a_cent))
    replays = {r.line_id: r for r in report.replays}
    assert not report.ok and replays["cost_allocations"].status == "mismatch"


def test_a_cost_amount_that_is_not_a_number_is_a_clear_error(pack, tmp_path):
    def garble(files: dict[str, bytes]) -> None:
        _edit_csv(files, "inputs/cost_weeks.csv", lambda r: r.update(amount="12,5"))

    report = verify_pack(rewrite(pack, tmp_path / "garbled.zip", garble))
    assert not report.ok
    assert "the pack's ROI SQL could not be re-executed: inputs/cost_weeks.csv:" in (
        report.describe()
    )


def test_a_dropped_event_is_caught(pack, tmp_path):
    def drop_first(files: dict[str, bytes]) -> None:
        seen: list[int] = []

        def drop(r: dict[str, str]) -> bool:
            seen.append(1)
            return len(seen) > 1

        _edit_csv(files, "inputs/ai_events.csv", drop)

    report = verify_pack(rewrite(pack, tmp_path / "events.zip", drop_first))
    replays = {r.line_id: r for r in report.replays}
    assert not report.ok and replays["inference"].status == "mismatch"
    assert len(replays["inference"].differences) == 1


def test_a_changed_setting_makes_the_lines_fail_over_the_pack(pack, tmp_path):
    def to_euro(files: dict[str, bytes]) -> None:
        _edit_csv(
            files,
            "inputs/build_settings.csv",
            lambda r: r.update(value="EUR") if r["key"] == "currency" else None,
        )

    report = verify_pack(rewrite(pack, tmp_path / "euro.zip", to_euro))
    replays = {r.line_id: r for r in report.replays}
    assert not report.ok
    # the reporting currency is no longer USD: the lines' own checks refuse them
    assert replays["inference"].status == "mismatch" and replays["people"].status == "mismatch"
    assert "inference: the pack's SQL fails over its inputs" in report.describe()


def test_a_pack_without_inputs_lists_those_lines_as_not_re_executed(pack, tmp_path):
    def strip_inputs(files: dict[str, bytes]) -> None:
        for name in [n for n in files if n.startswith("inputs/")]:
            del files[name]
        manifest = json.loads(files["manifest.json"])
        manifest["files"] = [f for f in manifest["files"] if not f["path"].startswith("inputs/")]
        files["manifest.json"] = json.dumps(manifest).encode()

    report = verify_pack(rewrite(pack, tmp_path / "old.zip", strip_inputs))
    replays = {r.line_id: r for r in report.replays}
    assert replays["time_saved"].status == "match"
    assert all(
        replays[line].status == "not_replayed"
        for line in ("inference", "people", "build_amortisation")
    )
