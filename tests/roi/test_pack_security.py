"""``outcomes roi verify`` against hostile packs (issue 12): zip bombs and malformed manifests
are refused with a message and exit 2, never a traceback; a closed period's pack is signed
(Ed25519) and a consistent forgery is refused."""

from __future__ import annotations

import hashlib
import json
import stat
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outcomes.cli import main
from outcomes.roi import pack_reading
from outcomes.roi.close import close_period
from outcomes.roi.pack_export import export_pack
from outcomes.roi.pack_reading import PackError
from outcomes.roi.pack_signing import (
    SIGNATURE_FILE,
    key_path,
    load_public_key,
    public_key_pem,
    sign_manifest,
)
from outcomes.roi.pack_verify import verify_pack
from outcomes.store.snapshot import open_snapshot
from tests import ledgerfixtures

fx, store = ledgerfixtures.fx, ledgerfixtures.store

GiB = 2**30


def export(fx, store, out: Path) -> Path:
    with open_snapshot(fx.settings()) as con:
        return export_pack(con, fx.settings(), "2026-Q1", out, store=store)


@pytest.fixture
def closed_pack(fx, store) -> Path:
    with open_snapshot(fx.settings()) as con:
        close_period(con, fx.settings(), "2026-Q1", "cfo@example.com", store=store)
    return export(fx, store, fx.root / "closed.zip")


def contents_of(pack: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(pack) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def write_zip(path: Path, contents: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in contents.items():
            zf.writestr(name, data)
    return path


def with_manifest(pack: Path, out: Path, edit: Callable[[dict[str, Any]], Any]) -> Path:
    contents = contents_of(pack)
    manifest = json.loads(contents["manifest.json"])
    replaced = edit(manifest)
    contents["manifest.json"] = (
        replaced if isinstance(replaced, bytes) else json.dumps(manifest).encode()
    )
    return write_zip(out, contents)


def cli(monkeypatch, fx, *args: str) -> int:
    settings = fx.settings()
    monkeypatch.setenv("OUTCOMES_STATE_PATH", str(settings.state_path))
    monkeypatch.setenv("OUTCOMES_WAREHOUSE_PATH", str(settings.warehouse_path))
    return main(list(args))


# -- zip bombs -----------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_it_is_decompressed(tmp_path):
    bomb = tmp_path / "bomb.zip"
    chunk = bytes(2**20)
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("ledger.csv", "w", force_zip64=True) as entry,
    ):
        for _ in range(GiB // len(chunk)):
            entry.write(chunk)
    assert bomb.stat().st_size < 8 * 2**20  # a few MiB holding 1 GiB
    started = time.perf_counter()
    with pytest.raises(PackError, match="zip bomb"):
        verify_pack(bomb)
    assert time.perf_counter() - started < 2  # refused on the declared size, nothing inflated


def test_a_bomb_that_lies_about_its_size_is_read_no_further_than_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(pack_reading, "MAX_ENTRY_BYTES", 2**20)
    honest = write_zip(tmp_path / "x.zip", {"ledger.csv": bytes(8 * 2**20)})
    data = bytearray(honest.read_bytes())
    # declare 1 000 bytes in the local and the central header: the entry holds 8 MiB
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 22 : local + 26] = struct.pack("<I", 1000)
    data[central + 24 : central + 28] = struct.pack("<I", 1000)
    liar = tmp_path / "liar.zip"
    liar.write_bytes(bytes(data))
    with pytest.raises(PackError, match="ledger.csv"):
        verify_pack(liar)
    monkeypatch.setattr(pack_reading, "MAX_ENTRY_BYTES", 64 * 2**20)


def test_too_many_entries_and_too_much_in_all_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(pack_reading, "MAX_ENTRIES", 10)
    many = write_zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(11)})
    with pytest.raises(PackError, match="entries"):
        verify_pack(many)
    monkeypatch.setattr(pack_reading, "MAX_TOTAL_BYTES", 2**20)
    big = write_zip(tmp_path / "big.zip", {f"f{i}.csv": bytes(600_000) for i in range(2)})
    with pytest.raises(PackError, match="in all"):
        verify_pack(big)


@pytest.mark.parametrize("name", ["../evil.csv", "/etc/passwd", "sql/../../x.sql", "a\\b.sql"])
def test_entry_names_leaving_the_pack_are_refused(tmp_path, name):
    pack = write_zip(tmp_path / "p.zip", {name: b"x", "manifest.json": b"{}"})
    with pytest.raises(PackError, match="leaves the pack"):
        verify_pack(pack)


def test_a_duplicate_entry_is_refused(tmp_path):
    pack = tmp_path / "dup.zip"
    with zipfile.ZipFile(pack, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("ledger.csv", b"a")
        zf.writestr("ledger.csv", b"b")
    with pytest.raises(PackError, match="twice"):
        verify_pack(pack)


# -- malformed manifests -------------------------------------------------------------------

SHA = "0" * 64
MALFORMED: dict[str, Callable[[dict[str, Any]], Any]] = {
    "bad JSON": lambda m: b'{"format": ',
    "not an object": lambda m: b"[1, 2]",
    "not UTF-8": lambda m: b"\xff\xfe{}",
    "no format": lambda m: m.pop("format"),
    "no period": lambda m: m.pop("period"),
    "period a list": lambda m: m.update(period=[1]),
    "label a number": lambda m: m["period"].update(label=7),
    "no files": lambda m: m.pop("files"),
    "files a string": lambda m: m.update(files="ledger.csv"),
    "file entry a list": lambda m: m["files"].append(["x"]),
    "file without path": lambda m: m["files"][0].pop("path"),
    "file path a number": lambda m: m["files"][0].update(path=3),
    "bad hash": lambda m: m["files"][0].update(sha256="abc"),
    "hash a number": lambda m: m["files"][0].update(sha256=12),
    "duplicate name": lambda m: m["files"].append(dict(m["files"][0])),
    "traversal name": lambda m: m["files"].append({"path": "../../etc/passwd", "sha256": SHA}),
    "absolute name": lambda m: m["files"].append({"path": "/etc/passwd", "sha256": SHA}),
    "ledger hash short": lambda m: m.update(ledger_sha256="12"),
    "no ledger hash": lambda m: m.pop("ledger_sha256"),
    "totals a list": lambda m: m.update(totals=[1]),
    "total an object": lambda m: m["totals"].update(net={"a": 1}),
    "build id a list": lambda m: m.update(build_id=[1]),
    "sql_files a string": lambda m: m.update(sql_files="x"),
    "closure a string": lambda m: m.update(closure="closed"),
    "closure without id": lambda m: m.update(closure={"closed_by": "x", "ledger_sha256": SHA}),
    "closure id a bool": lambda m: m.update(
        closure={"close_id": True, "closed_by": "x", "ledger_sha256": SHA}
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_manifest_is_a_clear_error(fx, store, tmp_path, case):
    pack = export(fx, store, tmp_path / "good.zip")
    bad = with_manifest(pack, tmp_path / "bad.zip", MALFORMED[case])
    with pytest.raises(PackError, match="manifest.json"):
        verify_pack(bad)


def test_malformed_manifests_exit_2_on_the_command_line_without_a_traceback(
    fx, store, tmp_path, monkeypatch, capsys
):
    pack = export(fx, store, tmp_path / "good.zip")
    for case in ("bad JSON", "traversal name", "bad hash", "no period"):
        bad = with_manifest(pack, tmp_path / "bad.zip", MALFORMED[case])
        assert cli(monkeypatch, fx, "roi", "verify", str(bad)) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: manifest.json") and "Traceback" not in err


# -- signed packs and forgeries ------------------------------------------------------------


def test_a_closed_period_pack_is_signed_and_the_key_is_private(fx, closed_pack, tmp_path):
    assert SIGNATURE_FILE in contents_of(closed_pack)
    path = key_path(fx.settings())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    public = tmp_path / "finance.pem"
    public.write_text(public_key_pem(fx.settings()))
    trusted = load_public_key(public.read_bytes())
    report = verify_pack(closed_pack, trusted_key=trusted, installation=fx.settings())
    assert report.ok, report.describe()
    assert report.signature.startswith("signed by the trusted key")


def test_public_key_command_prints_the_pem(fx, closed_pack, monkeypatch, capsys):
    assert cli(monkeypatch, fx, "roi", "public-key") == 0
    assert capsys.readouterr().out.startswith("-----BEGIN PUBLIC KEY-----")


def forge(pack: Path, out: Path, *, signature: bytes | None = None, closure: bool = True) -> Path:
    """An attacker's consistent forgery: a line's title changed in ledger.csv, the ledger hash,
    every file hash and the manifest recomputed; the signature kept (``b""``), or dropped."""
    contents = contents_of(pack)
    original = contents.pop(SIGNATURE_FILE)
    ledger = contents["ledger.csv"].decode().splitlines(keepends=True)
    cells = ledger[1].split(",")
    cells[3] = "Forged title"
    ledger[1] = ",".join(cells)
    contents["ledger.csv"] = "".join(ledger).encode()
    manifest = json.loads(contents["manifest.json"])
    if not closure:
        manifest["closure"] = None

    def seal() -> None:
        manifest["files"] = [
            {"path": n, "sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)}
            for n, d in sorted(contents.items())
            if n not in ("manifest.json", SIGNATURE_FILE)
        ]
        contents["manifest.json"] = (json.dumps(manifest, sort_keys=True, indent=2) + "\n").encode()

    seal()
    draft = verify_pack(write_zip(out, contents))
    manifest["ledger_sha256"] = next(
        t.recomputed for t in draft.totals if t.name == "ledger_sha256"
    )
    seal()
    if signature is not None:
        contents[SIGNATURE_FILE] = signature or original
    forged = write_zip(out, contents)
    check = verify_pack(forged)
    # consistent: every file, line and total checks out; only the signature can tell
    assert all(f.status == "ok" for f in check.files) and check.lines
    assert all(c.status == "match" for c in check.lines + check.totals), check.describe()
    return forged


def trusted_key(fx):
    return load_public_key(public_key_pem(fx.settings()).encode())


def test_a_forgery_keeping_the_old_signature_is_refused(fx, closed_pack, tmp_path):
    forged = forge(closed_pack, tmp_path / "f.zip", signature=b"")
    report = verify_pack(forged, trusted_key=trusted_key(fx))
    assert not report.ok and any("does not match manifest.json" in e for e in report.errors)
    assert not verify_pack(forged).ok  # even against the key inside the pack


def test_a_forgery_signed_with_the_attackers_key_is_refused_by_the_trusted_key(
    fx, closed_pack, tmp_path
):
    forged = forge(closed_pack, tmp_path / "f.zip", signature=None)
    contents = contents_of(forged)
    contents[SIGNATURE_FILE] = sign_manifest(
        Ed25519PrivateKey.generate(), contents["manifest.json"]
    )
    resigned = write_zip(tmp_path / "r.zip", contents)
    assert not verify_pack(resigned, trusted_key=trusted_key(fx)).ok
    assert not verify_pack(resigned, installation=fx.settings()).ok
    # with no trusted key at hand, verify says the signature proves nothing about the signer
    alone = verify_pack(resigned)
    assert any("not who signed" in w for w in alone.warnings)


def test_a_forgery_dropping_the_signature_is_refused(fx, closed_pack, tmp_path):
    forged = forge(closed_pack, tmp_path / "f.zip", signature=None)
    report = verify_pack(forged)
    assert not report.ok and any("always signed" in e for e in report.errors)


def test_a_forgery_hiding_the_close_is_refused_with_the_key_or_inside_the_installation(
    fx, closed_pack, tmp_path
):
    forged = forge(closed_pack, tmp_path / "f.zip", signature=None, closure=False)
    assert not verify_pack(forged, trusted_key=trusted_key(fx)).ok
    inside = verify_pack(forged, installation=fx.settings())
    assert not inside.ok and any("close #" in e for e in inside.errors)


def test_an_open_period_pack_is_unsigned_and_still_verifies(fx, store, tmp_path):
    pack = export(fx, store, tmp_path / "open.zip")
    assert SIGNATURE_FILE not in contents_of(pack)
    report = verify_pack(pack, installation=fx.settings())
    assert report.ok and report.signature.startswith("not signed")
