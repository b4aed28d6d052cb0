"""The registry of the SQL folder for the pages, loaded once per version of its files.

Loading the registry parses and checks every definition with sqlglot: 0.4 to 0.7 s on this
machine for the shipped 67, and up to 1.9 s beside other work. The ROI page (its notes on
lines without figures), the metric catalog and a metric's page each loaded it at every cache
miss, so an executive's first visit of the ROI page spent most of its time there. The
registry depends only on the files under ``sql_dir``, so it is kept per folder and per
fingerprint of its files (path, size, modification and change time, inode of each): an
edited, added or removed file gives a new fingerprint and the next call loads it again.

A draft being checked is loaded from a folder of its own each time
(:mod:`outcomes.app.views.draft_validation`) and does not come here.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from outcomes.core.registry import Registry, load_registry

_KEPT = 4  # folders kept (the app reads one; tests use a few)
_lock = threading.Lock()
_loading = threading.Lock()  # one load at a time: sessions that miss together wait for it
_kept: OrderedDict[tuple[str, tuple[tuple[str, int, int, int, int], ...]], Registry] = OrderedDict()


def fingerprint(root: Path) -> tuple[tuple[str, int, int, int, int], ...]:
    """(relative path, size, modification and change time in ns, inode) of every file under
    ``root``, sorted: two saves of the same length within one tick of the file clock still
    differ by inode (the workbench writes a file beside it and renames it into place)."""
    out = []
    for path in root.rglob("*"):
        try:
            st = path.stat()
        except FileNotFoundError:  # removed while listed: the next call sees it gone
            continue
        if path.is_file():
            out.append(
                (
                    path.relative_to(root).as_posix(),
                    st.st_size,
                    st.st_mtime_ns,
                    st.st_ctime_ns,
                    st.st_ino,
                )
            )
    return tuple(sorted(out))


def current_registry(sql_dir: str | os.PathLike[str]) -> Registry:
    """``load_registry(sql_dir, strict=False)``, kept while no file under ``sql_dir``
    changes. The registry is shared: callers read it and never change it."""
    root = Path(sql_dir)
    if not root.is_dir():
        return load_registry(sql_dir, strict=False)  # raises the error that names the folder
    with _loading:
        key = (str(root.resolve()), fingerprint(root))
        with _lock:
            found = _kept.get(key)
            if found is not None:
                _kept.move_to_end(key)
                return found
        registry = load_registry(sql_dir, strict=False)
        with _lock:
            for old in [k for k in _kept if k[0] == key[0]]:
                del _kept[old]  # an earlier version of this folder
            _kept[key] = registry
            while len(_kept) > _KEPT:
                _kept.popitem(last=False)
        return registry
