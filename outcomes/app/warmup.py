"""Warm a new snapshot's figures before its first visitor (issue 18: first visit under 2 s).

Every figure a page shows is loaded through ``streamlit_glue.load(func, *args)`` and cached
per snapshot. Each build starts a new snapshot, so the first visitor of each page after a
build paid for its queries again (at 100M events up to 4.6 s for the data page).

The server process remembers the figures its pages asked for (the function and the
arguments the page passed, the most recent :data:`KEEP`) and a daemon thread computes them
for each new snapshot as soon as it appears (it checks the snapshot file every
:data:`POLL_SECONDS`). A page that asks for a figure being warmed waits for it as for its own
query (Streamlit's cache computes each entry once).

Limits, by design:

- Only in memory. Nothing is read back from disk, so nobody can make the server call anything
  by editing a file (a list kept beside the snapshot was tried first: a review showed that a
  hand-edited entry could pass a path to a query loader). A restarted server warms once its
  pages have been visited.
- It computes the figures the pages asked for, with the same arguments. A figure whose
  arguments name the newest week is computed for that week again, so after a build that
  adds a week the new week's figures are computed by their first visitor; figures without a
  week (the portfolio, the data page's freshness and loads, the ledger calendar) and weeks
  opened by link are warm.
- Warming shows nothing to anyone: each page still checks who may see a figure before it
  shows it. It runs the same read-only functions the pages ran, with their arguments.

``<warehouse>.warm-status.json`` says when the server last finished warming and what it did
(for operators and the browser benchmark; the server never reads it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

KEEP = 200  # figures remembered (the cache of streamlit_glue.load holds 512)
POLL_SECONDS = 2.0

Call = tuple[Callable[..., Any], tuple[Any, ...]]  # the page's function, its arguments
THREAD_NAME = "outcomes-warmup"


class _NotFromTheWarmer(logging.Filter):
    """Drops Streamlit's "missing ScriptRunContext" warning for the warmer's thread: it uses
    the page cache outside a script run on purpose (one warning per figure otherwise)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != THREAD_NAME


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    _NotFromTheWarmer()
)


class Warmer:
    """The figures pages asked for, and the thread that computes them for a new snapshot.

    ``compute(func, snapshot, args)`` loads one figure for a snapshot (through the same cache
    the pages use); ``current()`` names the current snapshot (None before the first build);
    ``status_path`` is where the last run is written (None: nowhere).
    """

    def __init__(
        self,
        compute: Callable[[Callable[..., Any], Any, tuple[Any, ...]], Any],
        current: Callable[[], Any],
        status_path: Path | None = None,
    ) -> None:
        self._compute = compute
        self._current = current
        self.status_path = status_path
        self._lock = threading.Lock()
        self._calls: OrderedDict[Call, None] = OrderedDict()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.warmed: Any = None  # the snapshot last warmed
        self.last_run: dict[str, Any] = {}

    def saw(self, func: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """A page asked for ``func(connection, *args)``: remember it (most recent last)."""
        call = (func, args)
        try:
            hash(call)
        except TypeError:  # the cache needs hashable arguments too; nothing to remember
            return
        with self._lock:
            if call in self._calls:
                self._calls.move_to_end(call)
            else:
                self._calls[call] = None
                while len(self._calls) > KEEP:
                    self._calls.popitem(last=False)

    def calls(self) -> list[Call]:
        """The remembered figures, most recent first."""
        with self._lock:
            return list(reversed(self._calls))

    def warm(self) -> dict[str, Any]:
        """Compute every remembered figure for the current snapshot; what it did."""
        key = self._current()
        started = time.perf_counter()
        done, failed = 0, 0
        if key is not None:
            for func, args in self.calls():
                if self._stop.is_set():
                    break
                try:
                    self._compute(func, key, args)
                    done += 1
                except Exception as exc:  # a figure that fails fails again, for its page
                    failed += 1
                    log.info("warming %s%r failed: %s", func.__qualname__, args, exc)
        self.warmed = key
        self.last_run = {
            "snapshot": list(key) if isinstance(key, tuple) else key,
            "computed": done,
            "failed": failed,
            "seconds": round(time.perf_counter() - started, 3),
            "finished_at": time.time(),
            "pid": os.getpid(),
        }
        if self.status_path is not None:
            with contextlib.suppress(OSError):  # a read-only data folder: warming still works
                self.status_path.write_text(json.dumps(self.last_run))
        return self.last_run

    def run_forever(self) -> None:
        """Warm whenever the snapshot changes (the server's daemon thread)."""
        while not self._stop.is_set():
            try:
                if self._current() != self.warmed:
                    self.warm()
            except Exception:  # never let the thread die: the next snapshot warms again
                log.exception("warming the pages failed")
            self._stop.wait(POLL_SECONDS)

    def start(self) -> None:
        """Start the thread (again after :meth:`stop`); the current snapshot counts as warm:
        the first visitors' pages are computing it."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop = threading.Event()
            self.warmed = self._current()
            self._thread = threading.Thread(target=self.run_forever, name=THREAD_NAME, daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = 30) -> None:
        """End the thread (after the figure it is computing)."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
