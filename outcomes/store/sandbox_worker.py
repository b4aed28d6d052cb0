"""The child process of the sandbox: open the locked connection, run one checked SELECT, report.

Started by :func:`outcomes.store.sandbox.run_in_child` as ``python -m
outcomes.store.sandbox_worker`` with an OS memory limit; reads ``{"sql", "settings"}`` as JSON
on stdin and writes on stdout ``ready`` once the connection is open, then one JSON header line
(``{"truncated", "seconds"}``, ``{"refused": kind, "reason"}`` or ``{"missing": message}``)
and, for rows, an Arrow IPC stream. Anything else the process prints goes to stderr, so it
cannot corrupt the report.
"""

from __future__ import annotations

import json
import os
import sys
from typing import BinaryIO

import pyarrow as pa

from outcomes.config import Settings
from outcomes.store.capabilities import drop_all
from outcomes.store.sandbox import execute_locked, open_sandbox
from outcomes.store.sandbox_statement import SandboxRefusal
from outcomes.store.snapshot import SnapshotMissing


def serve(request: dict, out: BinaryIO) -> None:
    """Run ``request["sql"]`` (already checked by the parent) and write the report to ``out``."""
    settings = Settings.model_validate(request["settings"])
    drop_all()  # root or not, this process writes no file its mode forbids (the load files)
    try:
        con = open_sandbox(settings)
    except SnapshotMissing as exc:
        _header(out, {"missing": str(exc)})
        return
    out.write(b"ready\n")
    out.flush()
    try:
        table, truncated, seconds = execute_locked(con, request["sql"], settings.sandbox)
    except SandboxRefusal as exc:
        _header(out, {"refused": exc.kind, "reason": exc.reason})
        return
    except MemoryError:
        raise  # the parent reports the memory limit
    except Exception as exc:  # noqa: BLE001 - reported to the parent as a refusal, not a crash
        reason = f"The sandbox could not run the query: {type(exc).__name__}: {exc}"
        _header(out, {"refused": "query_error", "reason": reason})
        return
    finally:
        con.close()
    _header(out, {"truncated": truncated, "seconds": seconds})
    with pa.ipc.new_stream(out, table.schema) as writer:
        writer.write_table(table)
    out.flush()


def _header(out: BinaryIO, header: dict) -> None:
    out.write(json.dumps(header).encode("utf-8") + b"\n")
    out.flush()


def main() -> int:
    """Entry point of the child: the report goes to the real stdout, everything else to stderr."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(json.loads(sys.stdin.buffer.read()), out)
    out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
