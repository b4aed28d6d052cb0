"""Leftovers of killed builds: each build claims its temporary snapshot file with a lock, and
the next build removes every temporary file whose claim nobody holds any more.

A build killed with SIGKILL cannot clean up: its ``.<warehouse>-<build>.duckdb.tmp`` and WAL
(tens of MB each) stayed forever. A live build holds an ``flock`` on ``<tmp>.claim`` for as long
as it runs (the kernel drops it when the process dies), so a concurrent build never removes a
file still in use.

>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> target = d / "warehouse.duckdb"
>>> live = claim_tmp(d / ".warehouse-B1.duckdb.tmp")
>>> for name in (".warehouse-B1.duckdb.tmp", ".warehouse-B0.duckdb.tmp", ".warehouse-B0.duckdb.tmp.wal"):
...     _ = (d / name).write_bytes(b"x")
>>> [p.name for p in remove_leftovers(target)]
['.warehouse-B0.duckdb.tmp', '.warehouse-B0.duckdb.tmp.wal']
>>> live.close(); [p.name for p in remove_leftovers(target)]
['.warehouse-B1.duckdb.tmp']
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from pathlib import Path

_CLAIM = ".claim"


class Claim:
    """The lock a running build holds on its temporary file (released by `close` or at exit)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def note(self, folders: set[str]) -> None:
        """Write into the claim the staging part folders this build reads (its base's): a
        concurrent build's prune keeps them while this claim is held."""
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, "\n".join(sorted(folders)).encode(), 0)

    def close(self) -> None:
        """Give up the claim (the temporary file is gone: swapped in or removed)."""
        if self.fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self.fd)
            self.fd = None

    def __del__(self) -> None:  # the build function returned or raised: its claim ends
        self.close()


def claim_tmp(tmp: Path) -> Claim:
    """Claim `tmp` for this build before creating it."""
    return Claim(Path(f"{tmp}{_CLAIM}"))


def _held(claim: Path) -> bool:
    try:
        fd = os.open(claim, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def running_builds(target: Path) -> dict[str, set[str]]:
    """The builds of ``target`` running now (their claim is held): build id -> the staging
    part folders each noted it reads (:meth:`Claim.note`)."""
    prefix = f".{target.stem}-"
    suffix = f".duckdb.tmp{_CLAIM}"
    running = {}
    for claim in target.parent.glob(f"{prefix}*{suffix}"):
        if _held(claim):
            try:
                noted = set(filter(None, claim.read_text().splitlines()))
            except OSError:
                noted = set()
            running[claim.name[len(prefix) : -len(suffix)]] = noted
    return running


def remove_leftovers(target: Path) -> list[Path]:
    """Remove temporary files (and WAL, claim) of builds of `target` that no process claims."""
    removed = []
    for tmp in sorted(target.parent.glob(f".{target.stem}-*.duckdb.tmp")):
        claim = Path(f"{tmp}{_CLAIM}")
        if _held(claim):
            continue
        for leftover in (tmp, *sorted(tmp.parent.glob(f"{tmp.name}.wal*"))):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
        claim.unlink(missing_ok=True)
    # DuckDB's spill folder of a build (``<file>.tmp``, past work_memory): gone with its build
    for spill in sorted(target.parent.glob(f".{target.stem}-*.duckdb.tmp.tmp")):
        tmp = Path(str(spill)[: -len(".tmp")])
        if spill.is_dir() and not tmp.exists() and not _held(Path(f"{tmp}{_CLAIM}")):
            shutil.rmtree(spill, ignore_errors=True)
            removed.append(spill)
    for claim in target.parent.glob(f".{target.stem}-*.duckdb.tmp{_CLAIM}"):
        tmp = Path(str(claim)[: -len(_CLAIM)])
        # a claim a minute old without its file: the build died before creating it (a younger
        # one may be a build between creating its claim and locking it)
        if not tmp.exists() and time.time() - claim.stat().st_mtime > 60 and not _held(claim):
            claim.unlink(missing_ok=True)
    for wal in sorted(target.parent.glob(f".{target.stem}-*.duckdb.tmp.wal")):
        tmp = Path(str(wal)[: -len(".wal")])
        if not tmp.exists() and not _held(Path(f"{tmp}{_CLAIM}")):
            wal.unlink(missing_ok=True)
            removed.append(wal)
    return removed
