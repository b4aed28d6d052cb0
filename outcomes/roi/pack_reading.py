"""Reading an audit pack someone hands you: bounded before anything is decompressed, and its
manifest checked for shape before anything trusts it.

A pack comes from outside (an email, a share), so :func:`read_pack` refuses, with a message and
before reading further, a zip with more than :data:`MAX_ENTRIES` entries, an entry whose name
is absolute, climbs out (``..``) or appears twice, and an entry larger than
:data:`MAX_ENTRY_BYTES` (its declared size is checked first, and at most the limit plus one
byte is ever decompressed, so a zip bomb that lies about its size is stopped too).
:func:`check_manifest` refuses a manifest that is not the shape :mod:`outcomes.roi.pack_export`
writes (missing keys, wrong types, hashes that are not SHA-256, duplicate or unsafe names).
Both raise :class:`PackError`, which ``outcomes roi verify`` reports with exit 2.

>>> safe_entry_name("sql/roi/x.sql"), safe_entry_name("../etc/passwd"), safe_entry_name("/x")
(True, False, False)
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from outcomes.errors import OutcomesError
from outcomes.roi.pack_export import PACK_FORMAT

MAX_ENTRIES = 2_000  # a pack holds a dozen files and the SQL of its lines
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # per entry, decompressed
MAX_TOTAL_BYTES = 256 * 1024 * 1024  # all entries, decompressed
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PackError(OutcomesError, ValueError):
    """Not an audit pack, or one that cannot be read safely: no such file, not a zip archive,
    over a size or count limit, or a malformed manifest."""


def read_pack(path: Path) -> dict[str, bytes]:
    """``{entry name: bytes}`` of the pack at ``path``, within the limits; :class:`PackError`
    otherwise."""
    path = Path(path)
    if not path.is_file():
        raise PackError(f"no audit pack at {path}")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PackError(f"{path} is not a zip archive (an audit pack is a .zip): {exc}") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise PackError(
                f"{path} holds {len(infos):,} entries, more than the {MAX_ENTRIES:,} an audit "
                "pack may hold: not read"
            )
        seen: set[str] = set()
        for info in infos:
            if not safe_entry_name(info.filename):
                raise PackError(
                    f"entry name {info.filename!r} is absolute or leaves the pack: not read"
                )
            if info.filename in seen:
                raise PackError(f"entry {info.filename!r} appears twice in the zip: not read")
            seen.add(info.filename)
            if info.file_size > MAX_ENTRY_BYTES:
                raise PackError(_too_big(info.filename, f"declares {info.file_size:,} bytes"))
        contents: dict[str, bytes] = {}
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            try:
                with zf.open(info) as entry:
                    data = entry.read(MAX_ENTRY_BYTES + 1)  # never more, whatever it declares
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as exc:
                raise PackError(f"entry {info.filename!r} cannot be read: {exc}") from exc
            if len(data) > MAX_ENTRY_BYTES:
                raise PackError(_too_big(info.filename, "holds more than it declares"))
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                raise PackError(
                    f"the pack's entries hold more than {MAX_TOTAL_BYTES // 2**20} MiB in all: "
                    "not read further (an audit pack is a few MiB)"
                )
            contents[info.filename] = data
    return contents


def _too_big(name: str, what: str) -> str:
    return (
        f"entry {name!r} {what}, over the limit of {MAX_ENTRY_BYTES // 2**20} MiB per entry: "
        "refused (an audit pack's files are far smaller; this looks like a zip bomb)"
    )


def safe_entry_name(name: str) -> bool:
    """Whether a zip entry or manifest path stays inside the pack (relative, no ``..``)."""
    if not name or "\\" in name or "\0" in name or name.startswith("/") or ":" in name:
        return False
    return ".." not in name.split("/")


def check_manifest(manifest: Any) -> dict[str, Any]:
    """``manifest`` if it has the shape an export writes; :class:`PackError` naming the first
    problem otherwise.

    >>> check_manifest({"format": PACK_FORMAT})
    Traceback (most recent call last):
    ...
    outcomes.roi.pack_reading.PackError: manifest.json: 'period' is missing
    """
    if not isinstance(manifest, dict):
        raise PackError(f"manifest.json holds {type(manifest).__name__}, not an object")
    if manifest.get("format") == "outcomes-audit-pack/1":
        raise PackError(
            "manifest.json: an outcomes-audit-pack/1 pack was written before the ledger had AI "
            f"systems; this version verifies {PACK_FORMAT} packs: verify it with the Outcomes "
            "version that wrote it, or export the period again"
        )
    if manifest.get("format") != PACK_FORMAT:
        raise PackError(f"manifest.json is not an {PACK_FORMAT} manifest")
    period = _field(manifest, "period", dict)
    _field(period, "label", str, where="period.")
    _field(manifest, "totals", dict)
    if not _SHA256.fullmatch(_field(manifest, "ledger_sha256", str)):
        raise PackError("manifest.json: 'ledger_sha256' is not a SHA-256 hex digest")
    if not isinstance(manifest.get("build_id"), str | None):
        raise PackError("manifest.json: 'build_id' is not text")
    for value in manifest["totals"].values():
        if not isinstance(value, str | int | float | None):
            raise PackError("manifest.json: a total is not a number")
    names: set[str] = set()
    for entry in _field(manifest, "files", list):
        if not isinstance(entry, dict):
            raise PackError("manifest.json: an entry of 'files' is not an object")
        name = _field(entry, "path", str, where="files[].")
        if not safe_entry_name(name):
            raise PackError(f"manifest.json: file {name!r} is absolute or leaves the pack")
        if name in names:
            raise PackError(f"manifest.json: file {name!r} is listed twice")
        names.add(name)
        if not _SHA256.fullmatch(str(entry.get("sha256"))):
            raise PackError(f"manifest.json: the sha256 of {name!r} is not a SHA-256 hex digest")
    sql_files = manifest.get("sql_files") or []
    if not isinstance(sql_files, list) or not all(isinstance(n, dict) for n in sql_files):
        raise PackError("manifest.json: 'sql_files' is not a list of objects")
    closure = manifest.get("closure")
    if closure is not None:
        if not isinstance(closure, dict):
            raise PackError("manifest.json: 'closure' is not an object")
        for key, kind in (("close_id", int), ("closed_by", str), ("ledger_sha256", str)):
            _field(closure, key, kind, where="closure.")
    return manifest


def _field(obj: dict[str, Any], key: str, kind: type, where: str = "") -> Any:
    if key not in obj:
        raise PackError(f"manifest.json: '{where}{key}' is missing")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PackError(f"manifest.json: '{where}{key}' is not {_KIND_WORDS[kind]}")
    return value


_KIND_WORDS = {dict: "an object", list: "a list", str: "text", int: "a whole number"}
