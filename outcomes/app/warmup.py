"""Warm the pages' figures before anyone asks for them (issue 18: first visit under 2 s).

Every figure a page shows is loaded through ``streamlit_glue.load(func, *args)`` and cached
per snapshot. A cold cache costs the first visitor of each page the page's queries (at 100M
events up to 4 s for the data page), and every build starts a new snapshot, so the first
visitor after each build paid again.

The server keeps the list of the figures pages asked for (module, function and arguments; the
most recent :data:`KEEP`), in ``<warehouse>.warm.json`` beside the snapshot so that a restarted
server knows it too. A daemon thread of the server process computes that list for the current
snapshot once when the server starts and again whenever a new snapshot appears (it checks the
snapshot file every :data:`POLL_SECONDS`); a page that asks for a figure being warmed waits
for it as it would for its own query (Streamlit's cache computes each entry once).

What is recorded is only what names a query: the function must live in ``outcomes.app`` and
its arguments must be plain values (text, numbers, decimals, booleans, None, dates, times,
tuples of them, and dataclasses of ``outcomes.app`` made of them) that survive a JSON round
trip. A list file edited by hand cannot make the server call
anything else: an entry naming another module, a private function, a class, a record class from
elsewhere or an argument of another type is skipped (``tests/app/test_warmup.py``). Warming runs the same functions a page
would, on the same read-only snapshot; it shows nothing to anyone, so it needs no identity:
each page still checks who may see a figure before it shows it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import inspect
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

KEEP = 200  # figures remembered (the cache of streamlit_glue.load holds 512)
POLL_SECONDS = 2.0
SAVE_EVERY_SECONDS = 5.0
ALLOWED_PREFIX = "outcomes.app."

Call = tuple[str, str, tuple[Any, ...]]  # module, function name, arguments


def encode(value: Any) -> Any:
    """``value`` as JSON; raises TypeError for anything that is not a plain value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    cls = type(value)
    if dataclasses.is_dataclass(value) and _record_class(cls.__module__, cls.__name__) is cls:
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"record": f"{cls.__module__}:{cls.__name__}", "fields": fields}
    raise TypeError(f"not a plain value: {type(value).__name__}")


def decode(value: Any) -> Any:
    """The value :func:`encode` wrote; raises ValueError for anything else."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict) and set(value) == {"record", "fields"}:
        module, _, name = str(value["record"]).partition(":")
        cls = _record_class(module, name)
        if cls is None or not isinstance(value["fields"], dict):
            raise ValueError(f"not a record of outcomes.app: {value['record']!r}")
        return cls(**{k: decode(v) for k, v in value["fields"].items()})
    if isinstance(value, dict) and len(value) == 1:
        [(kind, inner)] = value.items()
        if kind == "datetime" and isinstance(inner, str):
            return dt.datetime.fromisoformat(inner)
        if kind == "date" and isinstance(inner, str):
            return dt.date.fromisoformat(inner)
        if kind == "decimal" and isinstance(inner, str):
            return Decimal(inner)
        if kind == "tuple" and isinstance(inner, list):
            return tuple(decode(v) for v in inner)
    raise ValueError(f"not an encoded plain value: {value!r}")


def _record_class(module: str, name: str) -> type | None:
    """The dataclass ``module.name`` when it is one of outcomes.app's (a figure's arguments
    may be such a record, e.g. a system's register version); None otherwise."""
    if not module.startswith(ALLOWED_PREFIX) or not name.isidentifier() or name.startswith("_"):
        return None
    try:
        cls = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    if not isinstance(cls, type) or not dataclasses.is_dataclass(cls) or cls.__module__ != module:
        return None
    return cls


def resolve(module: str, name: str) -> Callable[..., Any] | None:
    """The function ``module.name`` when it may be warmed: a public function of a module under
    ``outcomes.app``; None otherwise (nothing else is imported)."""
    if not isinstance(module, str) or not isinstance(name, str):
        return None
    if not module.startswith(ALLOWED_PREFIX) or not name.isidentifier() or name.startswith("_"):
        return None
    try:
        func = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    if not inspect.isfunction(func) or func.__module__ != module:
        return None
    return func


class Warmer:
    """The figures pages asked for, and the thread that computes them for a new snapshot.

    ``compute(module, name, snapshot, args)`` loads one figure for a snapshot (through the same
    cache the pages use); ``current()`` names the current snapshot (None before the first
    build).
    """

    def __init__(
        self,
        path: Path,
        compute: Callable[[str, str, Any, tuple[Any, ...]], Any],
        current: Callable[[], Any],
    ) -> None:
        self.path = path
        self._compute = compute
        self._current = current
        self._lock = threading.Lock()
        self._calls: OrderedDict[Call, None] = OrderedDict()
        self._dirty = False
        self._saved_at = 0.0
        self._stop = threading.Event()
        self.warmed: Any = None  # the snapshot last warmed
        self.last_run: dict[str, Any] = {}
        for call in self._read():
            self._calls[call] = None

    # --- the list ---------------------------------------------------------------------
    def saw(self, module: str, name: str, args: tuple[Any, ...]) -> None:
        """A page asked for ``module.name(*args)``: remember it (most recent last)."""
        if not module.startswith(ALLOWED_PREFIX):
            return
        try:
            if decode(encode(args)) != args:
                return
        except (TypeError, ValueError):
            return
        call = (module, name, args)
        with self._lock:
            if call in self._calls:
                self._calls.move_to_end(call)
            else:
                self._calls[call] = None
                self._dirty = True
                while len(self._calls) > KEEP:
                    self._calls.popitem(last=False)
        self._save_if_due()

    def calls(self) -> list[Call]:
        """The remembered figures, most recent first."""
        with self._lock:
            return list(reversed(self._calls))

    def _read(self) -> Iterable[Call]:
        try:
            entries = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return []
        out = []
        for entry in entries if isinstance(entries, list) else []:
            try:
                module, name, args = entry["module"], entry["function"], decode(entry["args"])
            except (KeyError, TypeError, ValueError):
                continue
            if isinstance(args, tuple) and isinstance(module, str) and isinstance(name, str):
                out.append((module, name, args))
        return out[-KEEP:]

    def _save_if_due(self, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if not self._dirty or (not force and now - self._saved_at < SAVE_EVERY_SECONDS):
                return
            entries = [{"module": m, "function": n, "args": encode(a)} for m, n, a in self._calls]
            self._dirty, self._saved_at = False, now
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(entries, indent=1))
            os.replace(tmp, self.path)
        except OSError as exc:  # a read-only data folder: warming still works in memory
            log.warning("could not save the warm list %s: %s", self.path, exc)

    # --- warming ----------------------------------------------------------------------
    def warm(self) -> dict[str, Any]:
        """Compute every remembered figure for the current snapshot; what it did."""
        key = self._current()
        started = time.perf_counter()
        done, skipped, failed = 0, 0, 0
        if key is not None:
            for module, name, args in self.calls():
                if resolve(module, name) is None:
                    skipped += 1
                    continue
                try:
                    self._compute(module, name, key, args)
                    done += 1
                except Exception as exc:  # a figure that fails fails again, for its page
                    failed += 1
                    log.info("warming %s.%s%r failed: %s", module, name, args, exc)
        self.warmed = key
        self._save_if_due(force=True)
        self.last_run = {
            "snapshot": list(key) if isinstance(key, tuple) else key,
            "computed": done,
            "skipped": skipped,
            "failed": failed,
            "seconds": time.perf_counter() - started,
            "finished_at": time.time(),
            "pid": os.getpid(),
        }
        status = self.path.with_name(self.path.name.replace(".warm.json", ".warm-status.json"))
        try:  # for operators and the benchmark: when this server last finished warming
            status.write_text(json.dumps(self.last_run))
        except OSError:
            pass
        return self.last_run

    def run_forever(self) -> None:
        """Warm at start and whenever the snapshot changes (the server's daemon thread)."""
        stop = self._stop
        while not stop.is_set():
            try:
                if self._current() != self.warmed:
                    self.warm()
                else:
                    self._save_if_due()
            except Exception:  # never let the thread die: the next snapshot warms again
                log.exception("warming the pages failed")
            stop.wait(POLL_SECONDS)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="outcomes-warmup", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """End the thread (after the figure it is computing)."""
        self._stop.set()
