"""Swap the finished snapshot file in: fsync, then an atomic rename onto the warehouse path.

A reader holding the old file keeps it (POSIX keeps the inode); the next reader opens the new
one; nobody sees a half-built file.
"""

from __future__ import annotations

import os
from pathlib import Path

from outcomes.build.errors import BuildError


def swap_in(tmp: Path, target: Path) -> None:
    """Replace ``target`` by ``tmp`` atomically (``os.replace``), then sync the folder."""
    # A WAL left by someone who opened the warehouse read-write would be replayed onto the
    # new file; the snapshot is never written after the swap, so any WAL there is stale.
    Path(f"{target}.wal").unlink(missing_ok=True)
    if Path(f"{tmp}.wal").exists():
        raise BuildError(
            f"{tmp}.wal still exists after CHECKPOINT; the snapshot was not swapped in"
        )
    os.replace(tmp, target)
    _fsync_dir(target.parent)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
